/**
 * Stack tests: Storage and Api synthesized offline (no AWS account, no network) and checked
 * property by property against the table declaration and the route table. How SST 2.49.8
 * synthesizes offline: test/stacks/synth.ts. The Workflows stack: workflows.test.ts.
 */
import { Match, Template } from "aws-cdk-lib/assertions";
import { getStack } from "sst/constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { tableDefinition } from "@carebook/core/entities/table";
import { routeEntries } from "../../functions/routes";
import { workflowEntries } from "../../functions/workflows/index";
import { Storage } from "../../stacks/Storage";
import {
  actionsOf,
  allStatements,
  asList,
  buildApp,
  functionStatements,
  referencedId,
  regionId,
  render,
  type Resources,
  resourcesFor,
  resourcesOf,
  stateMachineArn,
  synthesizeInBeforeAll,
  tableActions,
} from "./synth";

const synthesized = synthesizeInBeforeAll("stacks");
let storage: Template;
let api: Template;
let apiResources: Resources;

beforeAll(() => {
  ({ storage, api } = synthesized);
  apiResources = resourcesOf(api);
});

function keySchema(index: { partitionKey: string; sortKey?: string }) {
  return [
    { AttributeName: index.partitionKey, KeyType: "HASH" },
    ...(index.sortKey ? [{ AttributeName: index.sortKey, KeyType: "RANGE" }] : []),
  ];
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
    const actions = actionsOf(functionStatements(apiResources, routeFunctionId(routeKey)));
    const dynamodbActions = [...actions].filter((action) => action.startsWith("dynamodb:"));
    expect(dynamodbActions.sort()).toEqual(tableActions(route.table));
  });

  it.each(routeEntries())(
    "lets %s start exactly the workflows it declares, and tells it their ARNs",
    (routeKey, route) => {
      const functionId = routeFunctionId(routeKey);
      const statements = functionStatements(apiResources, functionId);
      const starts = [...new Set(route.starts ?? [])];
      expect(resourcesFor(statements, "states:StartExecution")).toEqual(
        starts.map((name) => stateMachineArn(synthesized.workflows, name)).sort(),
      );
      // Only the started workflows' ARN variables, each the ARN IAM allows.
      const variables: Record<string, unknown> = apiResources[functionId]!.Properties.Environment.Variables;
      for (const [name, workflow] of workflowEntries()) {
        if (starts.includes(name)) {
          expect(render(variables[workflow.arnEnv])).toBe(stateMachineArn(synthesized.workflows, name));
        } else {
          expect(variables).not.toHaveProperty(workflow.arnEnv);
        }
      }
    },
  );

  it.each(routeEntries())("lets %s send task tokens only if it declares sendsTaskTokens", (routeKey, route) => {
    const statements = functionStatements(apiResources, routeFunctionId(routeKey));
    for (const action of ["states:SendTaskSuccess", "states:SendTaskFailure"]) {
      // Resource "*": these actions have no resource type (stacks/iam.ts).
      expect(resourcesFor(statements, action)).toEqual(route.sendsTaskTokens ? ["*"] : []);
    }
    // Nothing else of Step Functions: no heartbeats, stops, reads of execution history.
    const expected = [
      ...(route.starts?.length ? ["states:StartExecution"] : []),
      ...(route.sendsTaskTokens ? ["states:SendTaskFailure", "states:SendTaskSuccess"] : []),
    ];
    const statesActions = [...actionsOf(statements)].filter((action) => action.startsWith("states:"));
    expect(statesActions.sort()).toEqual(expected.sort());
  });

  it.each(routeEntries())("traces %s with X-Ray", (routeKey) => {
    expect(apiResources[routeFunctionId(routeKey)]!.Properties.TracingConfig).toEqual({ Mode: "Active" });
  });

  it("deploys after the Workflows stack, whose state machines the routes start", () => {
    // The ARNs are strings (fixed names), so only this dependency orders the deployment.
    expect(synthesized.stacks.api.dependencies).toContain(synthesized.stacks.workflows);
  });

  it("grants no wildcard action, no DynamoDB action on Resource *, and starts no workflow on *", () => {
    for (const template of [storage, api]) {
      for (const statement of allStatements(template)) {
        const actions = asList(statement.Action);
        expect(actions).not.toContain("*");
        expect(actions).not.toContain("dynamodb:*");
        expect(actions).not.toContain("states:*");
        if (actions.some((action) => action.startsWith("dynamodb:") || action === "states:StartExecution")) {
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
