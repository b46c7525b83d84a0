/**
 * Stack tests: Storage and Api synthesized offline (no AWS account, no network) and checked
 * property by property against the table declaration and the route table. How SST 2.49.8
 * synthesizes offline: test/stacks/synthesis.ts (once per run, for every stack test file:
 * global-setup.ts). The Workflows stack: workflows.test.ts.
 */
import { Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { tableDefinition } from "@carebook/core/entities/table";
import { ORIGIN_VERIFY_HEADER, poolEnv } from "../../functions/auth/pools";
import { routeEntries } from "../../functions/routes";
import { workflowEntries } from "../../functions/workflows/index";
import { AUTHORIZER_CACHE_SECONDS } from "../../stacks/Api";
import { Auth } from "../../stacks/Auth";
import { Storage } from "../../stacks/Storage";
import { staffAccountActions } from "../../stacks/iam";
import { throttleFor } from "../../stacks/throttle";
import {
  actionsOf,
  allStatements,
  asList,
  functionIdOf,
  functionStatements,
  logWriteActions,
  ownLogGroupOf,
  referencedId,
  regionId,
  render,
  type Resources,
  resourcesFor,
  resourcesOf,
  stateMachineArn,
  synthesisOf,
  synthesizeInBeforeAll,
  tableActions,
  tracingActions,
} from "./synth";

const synthesized = synthesizeInBeforeAll("stacks");
let storage: Template;
let api: Template;
let apiResources: Resources;
let auth: Template;

beforeAll(() => {
  ({ storage, api } = synthesized);
  apiResources = resourcesOf(api);
  auth = synthesized.app.template(Auth);
});

function keySchema(index: { partitionKey: string; sortKey?: string }) {
  return [
    { AttributeName: index.partitionKey, KeyType: "HASH" },
    ...(index.sortKey ? [{ AttributeName: index.sortKey, KeyType: "RANGE" }] : []),
  ];
}

/** The route resource of a route key (exactly one): [logical id, resource]. */
function routeResource(routeKey: string): [string, Resources[string]] {
  const routes = Object.entries(apiResources).filter(
    ([, r]) => r.Type === "AWS::ApiGatewayV2::Route" && r.Properties?.RouteKey === routeKey,
  );
  expect(routes, `routes with key ${routeKey}`).toHaveLength(1);
  return routes[0]!;
}

/** The one authorizer of the API: [logical id, resource]. */
function apiAuthorizer(): [string, Resources[string]] {
  const authorizers = Object.entries(apiResources).filter(([, r]) => r.Type === "AWS::ApiGatewayV2::Authorizer");
  expect(authorizers, "authorizers").toHaveLength(1);
  return authorizers[0]!;
}

/** The Lambda function behind an HTTP route: Route.Target → Integration → IntegrationUri. */
function routeFunctionId(routeKey: string): string {
  const [, route] = routeResource(routeKey);
  // Target: { "Fn::Join": ["", ["integrations/", { Ref: <integration> }]] }
  const [, parts] = route.Properties.Target["Fn::Join"];
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

  it.each(routeEntries())("lets %s read the Web Push public key only if it declares readsWebPushKey, never the private one", (routeKey, route) => {
    const functionId = routeFunctionId(routeKey);
    const parameters = resourcesFor(functionStatements(apiResources, functionId), "ssm:GetParameters");
    const variables: Record<string, unknown> = apiResources[functionId]!.Properties.Environment.Variables;
    if (route.readsWebPushKey) {
      expect(parameters).toHaveLength(1);
      expect(parameters[0]).toMatch(/:parameter\/sst\/carebook\/test\/Secret\/WEB_PUSH_PUBLIC_KEY\/value$/);
      expect(variables.CAREBOOK_WEB_PUSH_PUBLIC_KEY_PARAMETER).toBe("/sst/carebook/test/Secret/WEB_PUSH_PUBLIC_KEY/value");
    } else {
      expect(parameters).toEqual([]);
      expect(variables).not.toHaveProperty("CAREBOOK_WEB_PUSH_PUBLIC_KEY_PARAMETER");
    }
    expect(variables).not.toHaveProperty("CAREBOOK_WEB_PUSH_PRIVATE_KEY_PARAMETER");
  });

  it.each(routeEntries())(
    "lets %s manage staff pool accounts only if it declares managesStaffAccounts: exactly those actions, on the staff pool only, and its id",
    (routeKey, route) => {
      const functionId = routeFunctionId(routeKey);
      const statements = functionStatements(apiResources, functionId);
      const variables: Record<string, unknown> = apiResources[functionId]!.Properties.Environment.Variables;
      const cognitoStatements = statements.filter((s) => asList(s.Action).some((a) => a.startsWith("cognito-idp:")));
      if (!route.managesStaffAccounts) {
        expect(cognitoStatements).toEqual([]);
        expect(variables).not.toHaveProperty(poolEnv.staff.userPoolId);
        return;
      }
      expect(cognitoStatements).toHaveLength(1);
      expect(asList(cognitoStatements[0]!.Action).sort()).toEqual([...staffAccountActions].sort());
      // Both through the Auth stack's exports: the pool's ARN and id, of the staff pool.
      const authResources = resourcesOf(auth);
      const outputs = Object.values(auth.toJSON().Outputs as Record<string, { Value: unknown; Export?: { Name: string } }>);
      const exported = (value: unknown) => {
        const name = (value as { "Fn::ImportValue"?: string })["Fn::ImportValue"];
        const output = outputs.find((o) => o.Export?.Name === name);
        return output && { id: referencedId(output.Value), value: output.Value };
      };
      const staffPoolId = Object.entries(authResources).find(
        ([, r]) => r.Type === "AWS::Cognito::UserPool" && r.Properties.UserPoolName === "test-carebook-staff",
      )![0];
      const resources = asList(cognitoStatements[0]!.Resource);
      expect(resources).toHaveLength(1);
      expect(exported(resources[0])?.value).toEqual({ "Fn::GetAtt": [staffPoolId, "Arn"] });
      expect(exported(variables[poolEnv.staff.userPoolId])?.value).toEqual({ Ref: staffPoolId });
    },
  );

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

  it("throttles every route of the route table with its declared limits, and nothing else", () => {
    const [, stage] = Object.entries(apiResources).find(([, r]) => r.Type === "AWS::ApiGatewayV2::Stage")!;
    const settings: Record<string, unknown> = stage.Properties.RouteSettings;
    expect(Object.keys(settings).sort()).toEqual(routeEntries().map(([routeKey]) => routeKey).sort());
    for (const [routeKey, route] of routeEntries()) {
      const { rate, burst } = throttleFor(routeKey, route);
      expect(settings[routeKey], routeKey).toEqual({ ThrottlingRateLimit: rate, ThrottlingBurstLimit: burst });
    }
  });

  it("holds booking and the emergency notice to their own, lower limits", () => {
    const [, stage] = Object.entries(apiResources).find(([, r]) => r.Type === "AWS::ApiGatewayV2::Stage")!;
    expect(stage.Properties.RouteSettings["POST /api/appointments"]).toEqual({
      ThrottlingRateLimit: 10,
      ThrottlingBurstLimit: 20,
    });
    expect(stage.Properties.RouteSettings["POST /api/admin/notifications/emergency"]).toEqual({
      ThrottlingRateLimit: 1,
      ThrottlingBurstLimit: 2,
    });
  });

  it("creates the stage after every route (API Gateway refuses settings of a route it does not know)", () => {
    const [, stage] = Object.entries(apiResources).find(([, r]) => r.Type === "AWS::ApiGatewayV2::Stage")!;
    const routeIds = routeEntries().map(([routeKey]) => routeResource(routeKey)[0]);
    expect(asList(stage.DependsOn)).toEqual(expect.arrayContaining(routeIds));
  });

  it.each(routeEntries())("authorizes %s with the Lambda authorizer unless the route is public", (routeKey, route) => {
    const [, resource] = routeResource(routeKey);
    if (route.roles === "public") {
      expect(resource.Properties.AuthorizationType).toBe("NONE");
      expect(resource.Properties.AuthorizerId).toBeUndefined();
    } else {
      expect(resource.Properties.AuthorizationType).toBe("CUSTOM");
      expect(referencedId(resource.Properties.AuthorizerId)).toBe(apiAuthorizer()[0]);
    }
  });

  it("leaves exactly the health check and the OpenAPI document public", () => {
    const open = Object.values(apiResources)
      .filter((r) => r.Type === "AWS::ApiGatewayV2::Route" && r.Properties.AuthorizationType !== "CUSTOM")
      .map((r) => r.Properties.RouteKey)
      .sort();
    expect(open).toEqual(["GET /api/openapi.json", "GET /health"]);
  });

  it("asks the authorizer for simple answers on the Authorization and origin headers, cached a minute", () => {
    const [, authorizer] = apiAuthorizer();
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: "REQUEST",
      AuthorizerPayloadFormatVersion: "2.0",
      EnableSimpleResponses: true,
      IdentitySource: ["$request.header.Authorization", `$request.header.${ORIGIN_VERIFY_HEADER}`],
      AuthorizerResultTtlInSeconds: AUTHORIZER_CACHE_SECONDS,
    });
    expect(AUTHORIZER_CACHE_SECONDS).toBeLessThanOrEqual(300);
    // Its Lambda is the one built from functions/auth/authorizer.ts.
    const uri = render(authorizer.Properties.AuthorizerUri);
    const fn = functionIdOf(api, "functions/auth/authorizer.handler");
    expect(uri).toContain(`\${GetAtt:${fn}.Arn}`);
  });

  it("points the authorizer at exactly the Auth stack's two pools and their app clients", () => {
    const fn = functionIdOf(api, "functions/auth/authorizer.handler");
    const variables: Record<string, unknown> = apiResources[fn]!.Properties.Environment.Variables;
    const exports = Object.values(auth.toJSON().Outputs as Record<string, { Value: unknown; Export?: { Name: string } }>);
    const exported = (value: unknown) =>
      referencedId(exports.find((o) => o.Export?.Name === (value as { "Fn::ImportValue": string })["Fn::ImportValue"])?.Value);
    const authResources = resourcesOf(auth);
    for (const [pool, names] of Object.entries(poolEnv)) {
      const poolId = exported(variables[names.userPoolId])!;
      expect(authResources[poolId]).toMatchObject({
        Type: "AWS::Cognito::UserPool",
        Properties: { UserPoolName: `test-carebook-${pool}` },
      });
      const clientId = exported(variables[names.clientId])!;
      expect(authResources[clientId]!.Type).toBe("AWS::Cognito::UserPoolClient");
      expect(referencedId(authResources[clientId]!.Properties.UserPoolId)).toBe(poolId);
    }
  });

  it("lets the authorizer write its own log and traces, and nothing else: no table, workflow or secret", () => {
    const fn = functionIdOf(api, "functions/auth/authorizer.handler");
    ownLogGroupOf(apiResources, fn);
    const actions = [...actionsOf(functionStatements(apiResources, fn))];
    expect(actions.sort()).toEqual([...logWriteActions, ...tracingActions].sort());
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

  it("outputs the API's origin URL (clients use the Edge stack's ApiUrl)", () => {
    api.hasOutput("OriginUrl", {});
  });
});

describe("a production stage", () => {
  it("retains the table when the stack is removed", () => {
    const template = synthesisOf("prod").template(Storage);
    template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
    });
  });
});
