/**
 * Stack tests: Storage and Api synthesized offline (no AWS account, no network) and checked
 * property by property against the table declaration and the route table.
 *
 * How sst 2.49.8 synthesizes without its CLI (what `sst deploy` does in stacks/synth.js,
 * minus the AWS calls):
 * 1. `process.chdir(<project root>)` — SST resolves handler paths (`functions/api/….handler`)
 *    against the working directory, as its CLI does.
 * 2. `await initProject({ stage: "test" })` (from "sst/project.js") — finds sst.config.ts
 *    upwards from the cwd, loads only its `config()` and sets the global project. Without a
 *    stage it would prompt on stdin for a personal stage.
 * 3. `new App({ mode: "deploy", name, stage, region, account })` (from "sst/constructs") —
 *    App does not read name/stage/region from the project (it defaults to "my-app"/"dev"/
 *    us-east-1), so pass the project's; `account` is a placeholder instead of the STS lookup.
 * 4. `app.stack(Storage).stack(Api)`, then `await app.finish()` — runs SST's deferred tasks:
 *    esbuild bundles every handler into .sst/artifacts (a broken or missing handler fails
 *    here). With NODE_ENV=test (vitest's default; stubbed to be sure) finish() skips
 *    `useBootstrap()` (an AWS call) and the sourcemap uploader. In deploy mode SST also runs
 *    `npm install` with an empty dependency list in each artifact directory:
 *    `npm_config_offline=true` keeps it off the network.
 * 5. `Template.fromStack(getStack(Storage))`.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Match, Template } from "aws-cdk-lib/assertions";
import { App, getStack } from "sst/constructs";
import { initProject, useProject } from "sst/project.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { tableDefinition } from "@carebook/core/entities/table";
import { type RouteDefinition, routeEntries } from "../../functions/routes";
import { Api } from "../../stacks/Api";
import { Storage } from "../../stacks/Storage";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const regionId = "eu-test";

type Resources = Record<string, { Type: string; Properties?: any }>;

let storage: Template;
let api: Template;
let apiResources: Resources;

function handlerFile(route: RouteDefinition): string | undefined {
  const modulePath = route.handler.slice(0, route.handler.lastIndexOf("."));
  return [".ts", ".js", ".mts", ".mjs"]
    .map((ext) => path.join(projectRoot, modulePath + ext))
    .find((file) => existsSync(file));
}

/** An SST app of the project's stacks for `stage`, as `sst deploy --stage <stage>` builds it. */
function buildApp(stage: string): App {
  const { config } = useProject();
  const app = new App({
    mode: "deploy",
    name: config.name,
    stage,
    region: config.region,
    account: "123456789012",
  });
  app.stack(Storage).stack(Api);
  return app;
}

const initialCwd = process.cwd();

beforeAll(async () => {
  process.chdir(projectRoot);
  vi.stubEnv("npm_config_offline", "true");
  vi.stubEnv("npm_config_audit", "false");
  vi.stubEnv("npm_config_fund", "false");
  vi.stubEnv("npm_config_update_notifier", "false");
  vi.stubEnv("NODE_ENV", "test");
  await initProject({ stage: "test" });
  // After initProject: it loads .env / .env.test over process.env.
  vi.stubEnv("CAREBOOK_REGION_ID", regionId);

  const missing = routeEntries().filter(([, route]) => !handlerFile(route));
  if (missing.length > 0) {
    throw new Error(
      `Cannot synthesize the Api stack: these routes' handler modules do not exist:\n${missing
        .map(([key, route]) => `  ${key} → ${route.handler}`)
        .join("\n")}`,
    );
  }

  const app = buildApp("test");
  await app.finish();
  storage = Template.fromStack(getStack(Storage));
  api = Template.fromStack(getStack(Api));
  apiResources = api.toJSON().Resources;
}, 60_000);

afterAll(() => {
  vi.unstubAllEnvs();
  process.chdir(initialCwd);
});

function keySchema(index: { partitionKey: string; sortKey?: string }) {
  return [
    { AttributeName: index.partitionKey, KeyType: "HASH" },
    ...(index.sortKey ? [{ AttributeName: index.sortKey, KeyType: "RANGE" }] : []),
  ];
}

/** `{ Ref: id }` / `{ "Fn::GetAtt": [id, …] }` → id. */
function referencedId(value: unknown): string | undefined {
  if (value && typeof value === "object") {
    if ("Ref" in value) return (value as { Ref: string }).Ref;
    if ("Fn::GetAtt" in value) return (value as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
  }
  return undefined;
}

function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every IAM statement in a template: policies, managed policies and roles' inline policies. */
function allStatements(template: Template): Statement[] {
  const resources: Resources = template.toJSON().Resources;
  return Object.values(resources).flatMap((resource) => {
    const p = resource.Properties ?? {};
    if (resource.Type === "AWS::IAM::Policy" || resource.Type === "AWS::IAM::ManagedPolicy") {
      return asList<Statement>(p.PolicyDocument?.Statement);
    }
    if (resource.Type === "AWS::IAM::Role") {
      return asList<{ PolicyDocument: { Statement: Statement[] } }>(p.Policies).flatMap((policy) =>
        asList(policy.PolicyDocument.Statement),
      );
    }
    return [];
  });
}

/** The Lambda function behind an HTTP route: Route.Target → Integration → IntegrationUri. */
function routeFunctionId(routeKey: string): string {
  const routes = Object.values(apiResources).filter(
    (r) => r.Type === "AWS::ApiGatewayV2::Route" && r.Properties?.RouteKey === routeKey,
  );
  expect(routes, `routes with key ${routeKey}`).toHaveLength(1);
  // Target: { "Fn::Join": ["", ["integrations/", { Ref: <integration> }]] }
  const [, parts] = routes[0]!.Properties.Target["Fn::Join"];
  expect(parts[0]).toBe("integrations/");
  const integration = apiResources[referencedId(parts[1])!];
  expect(integration?.Type).toBe("AWS::ApiGatewayV2::Integration");
  expect(integration!.Properties.IntegrationType).toBe("AWS_PROXY");
  const functionId = referencedId(integration!.Properties.IntegrationUri)!;
  expect(apiResources[functionId]?.Type).toBe("AWS::Lambda::Function");
  return functionId;
}

/** The actions every policy attached to a function's execution role allows. */
function roleActions(functionId: string): Set<string> {
  const roleId = referencedId(apiResources[functionId]!.Properties.Role)!;
  const actions = Object.values(apiResources)
    .filter(
      (r) =>
        r.Type === "AWS::IAM::Policy" &&
        asList(r.Properties.Roles).some((role) => referencedId(role) === roleId),
    )
    .flatMap((policy) => asList<Statement>(policy.Properties.PolicyDocument.Statement))
    .flatMap((statement) => asList(statement.Action));
  return new Set(actions);
}

const readActions = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"];
/** What ElectroDB's create/update/delete and `transaction.write` need (TransactWriteItems). */
const writeActions = [
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:ConditionCheckItem",
];

describe("Storage stack", () => {
  it("keys the table by the declared primary index", () => {
    storage.resourceCountIs("AWS::DynamoDB::Table", 1);
    storage.hasResourceProperties("AWS::DynamoDB::Table", {
      KeySchema: keySchema(tableDefinition.primaryIndex),
      BillingMode: "PAY_PER_REQUEST",
    });
  });

  it.each(Object.entries(tableDefinition.globalIndexes))(
    "creates global index %s with its keys and all attributes projected",
    (indexName, index) => {
      storage.hasResourceProperties("AWS::DynamoDB::Table", {
        GlobalSecondaryIndexes: Match.arrayWith([
          {
            IndexName: indexName,
            KeySchema: keySchema(index),
            Projection: { ProjectionType: "ALL" },
          },
        ]),
      });
    },
  );

  it("streams new and old images, expires items on expiresAt, keeps backups and encrypts", () => {
    storage.hasResourceProperties("AWS::DynamoDB::Table", {
      StreamSpecification: { StreamViewType: "NEW_AND_OLD_IMAGES" },
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it("lets the test stage delete its table with the stack", () => {
    storage.hasResource("AWS::DynamoDB::Table", { DeletionPolicy: "Delete" });
  });
});

describe("Api stack", () => {
  it("deploys exactly the routes of the route table", () => {
    api.resourceCountIs("AWS::ApiGatewayV2::Route", routeEntries().length);
  });

  it.each(routeEntries())("routes %s to its own Lambda function", (routeKey, route) => {
    const functionId = routeFunctionId(routeKey);
    expect(apiResources[functionId]!.Properties).toMatchObject({
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      MemorySize: 512,
      Timeout: 10,
      Environment: {
        Variables: {
          TABLE_NAME: expect.anything(),
          CAREBOOK_REGION_ID: regionId,
          POWERTOOLS_SERVICE_NAME: "carebook",
        },
      },
    });
    expect(apiResources[functionId]!.Properties.Description).toContain(route.description);
  });

  it.each(routeEntries())("gives %s only its declared table access", (routeKey, route) => {
    const actions = roleActions(routeFunctionId(routeKey));
    const dynamodbActions = [...actions].filter((action) => action.startsWith("dynamodb:"));
    if (route.table === "none") {
      expect(dynamodbActions).toEqual([]);
    } else if (route.table === "read") {
      expect(dynamodbActions).toEqual(expect.arrayContaining(readActions));
      expect(dynamodbActions.filter((action) => writeActions.includes(action))).toEqual([]);
    } else {
      expect(dynamodbActions).toEqual(expect.arrayContaining([...readActions, ...writeActions]));
    }
  });

  it("grants no wildcard action, and no DynamoDB action on Resource *", () => {
    for (const template of [storage, api]) {
      for (const statement of allStatements(template)) {
        const actions = asList(statement.Action);
        expect(actions).not.toContain("*");
        expect(actions).not.toContain("dynamodb:*");
        if (actions.some((action) => action.startsWith("dynamodb:"))) {
          expect(asList(statement.Resource)).not.toContain("*");
        }
      }
    }
  });

  it("throttles the default stage", () => {
    api.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it("answers CORS preflights for the headers and methods clients send", () => {
    api.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      ProtocolType: "HTTP",
      CorsConfiguration: {
        AllowHeaders: Match.arrayWith(["authorization", "content-type", "idempotency-key"]),
        AllowMethods: Match.arrayWith(["GET", "POST", "PUT", "DELETE", "OPTIONS"]),
        AllowOrigins: ["*"],
      },
    });
  });

  it("outputs the API URL", () => {
    api.hasOutput("ApiUrl", {});
  });
});

describe("a production stage", () => {
  it("retains the table when the stack is removed", () => {
    // Runs after the test-stage templates were taken: a new App replaces SST's global app.
    // No finish(): the table does not depend on the bundled handlers.
    buildApp("prod");
    const template = Template.fromStack(getStack(Storage));
    template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
    });
  }, 20_000);
});
