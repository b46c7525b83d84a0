/**
 * Stack tests of the Realtime stack (the run's shared synthesis, test/stacks/synth.ts), checked
 * against the WebSocket table (functions/realtime/index.ts) and the events table's push consumers
 * (functions/events/index.ts): the API and its route selection, every declared route on the
 * Lambda of its declaration, the `$connect` authorizer, least-privilege IAM — only the push
 * consumer may post to connections, of this API's stage only — and the stage's throttling and
 * access log.
 */
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { ORIGIN_VERIFY_ENV, poolEnv } from "../../functions/auth/pools";
import { pushConsumerEntries } from "../../functions/events/index";
import {
  connectAuthorizer,
  REALTIME_ENDPOINT_ENV,
  realtimeFunctionEntries,
  realtimeRouteEntries,
  ROUTE_SELECTION_EXPRESSION,
  TOKEN_QUERY_PARAMETER,
} from "../../functions/realtime/index";
import { Api } from "../../stacks/Api";
import { Auth } from "../../stacks/Auth";
import { Events } from "../../stacks/Events";
import { connectThrottle, Realtime, realtimeThrottle } from "../../stacks/Realtime";
import { Storage } from "../../stacks/Storage";
import {
  account,
  actionsOf,
  allStatements,
  asList,
  functionIdOf,
  functionStatements,
  logWriteActions,
  ofType,
  onlyOfType,
  ownLogGroupOf,
  referencedId,
  render,
  type Resources,
  resourcesFor,
  resourcesOf,
  type SynthesizedApp,
  synthesisOf,
  tableActions,
  tracingActions,
} from "./synth";

const MANAGE_CONNECTIONS = "execute-api:ManageConnections";

let app: SynthesizedApp;
let template: Template;
let resources: Resources;

beforeAll(() => {
  app = synthesisOf("test", "home");
  template = app.template(Realtime);
  resources = resourcesOf(template);
});

const apiId = () => onlyOfType(resources, "AWS::ApiGatewayV2::Api")[0];
const variablesOf = (functionId: string): Record<string, unknown> => resources[functionId]!.Properties.Environment.Variables;
/** The Lambda an API Gateway integration invokes (its IntegrationUri's GetAtt). */
const integratedFunction = (integrationId: string) => {
  const uri = render(resources[integrationId]!.Properties.IntegrationUri);
  return /\$\{GetAtt:(\w+)\.Arn\}/.exec(uri)?.[1];
};

describe("the WebSocket API", () => {
  it("is a WebSocket API that selects a message's route by its action", () => {
    expect(resources[apiId()]!.Properties).toMatchObject({ ProtocolType: "WEBSOCKET", RouteSelectionExpression: ROUTE_SELECTION_EXPRESSION });
    expect(ROUTE_SELECTION_EXPRESSION).toBe("$request.body.action");
  });

  it("has exactly the declared routes, each on the Lambda of its declared handler", () => {
    const routes = ofType(resources, "AWS::ApiGatewayV2::Route").map(([, r]) => r.Properties);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(realtimeRouteEntries().map(([key]) => key).sort());
    expect(routes.map((r) => r.RouteKey)).toEqual(expect.arrayContaining(["$connect", "$disconnect", "$default", "subscribe", "unsubscribe"]));
    for (const [routeKey, , fn] of realtimeRouteEntries()) {
      const route = routes.find((r) => r.RouteKey === routeKey)!;
      expect(referencedId(route.ApiId), routeKey).toBe(apiId());
      const integrationId = /^integrations\/\$\{Ref:(\w+)\}$/.exec(render(route.Target))?.[1];
      expect(resources[integrationId!]?.Properties).toMatchObject({ IntegrationType: "AWS_PROXY" });
      expect(integratedFunction(integrationId!), routeKey).toBe(functionIdOf(template, fn.handler));
    }
  });

  it("answers the client's messages as route responses on the routes that reply, and only those", () => {
    const routes = ofType(resources, "AWS::ApiGatewayV2::Route");
    const responses = ofType(resources, "AWS::ApiGatewayV2::RouteResponse").map(([, r]) => r.Properties);
    for (const [routeKey, , fn] of realtimeRouteEntries()) {
      const [routeId, route] = routes.find(([, r]) => r.Properties.RouteKey === routeKey)!;
      const own = responses.filter((r) => referencedId(r.RouteId) === routeId);
      if (fn.replies) {
        expect(route.Properties.RouteResponseSelectionExpression, routeKey).toBe("$default");
        expect(own.map((r) => r.RouteResponseKey), routeKey).toEqual(["$default"]);
      } else {
        expect(own, routeKey).toEqual([]);
      }
    }
    expect(realtimeRouteEntries().filter(([, , fn]) => fn.replies).map(([key]) => key).sort()).toEqual(["$default", "subscribe", "unsubscribe"]);
  });

  it("authorizes $connect with the REQUEST authorizer reading the token from the query string, and nothing else", () => {
    const [authorizerId, authorizer] = onlyOfType(resources, "AWS::ApiGatewayV2::Authorizer");
    expect(authorizer.Properties).toMatchObject({ AuthorizerType: "REQUEST", IdentitySource: [`route.request.querystring.${TOKEN_QUERY_PARAMETER}`] });
    expect(referencedId(authorizer.Properties.ApiId)).toBe(apiId());
    const authorizerFunction = functionIdOf(template, connectAuthorizer.handler);
    expect(render(authorizer.Properties.AuthorizerUri)).toContain(`\${GetAtt:${authorizerFunction}.Arn}`);
    for (const [, route] of ofType(resources, "AWS::ApiGatewayV2::Route")) {
      const { RouteKey, AuthorizationType, AuthorizerId } = route.Properties;
      if (RouteKey === "$connect") {
        expect(AuthorizationType).toBe("CUSTOM");
        expect(referencedId(AuthorizerId)).toBe(authorizerId);
      } else {
        // WebSocket APIs authorize the connection, once.
        expect(AuthorizationType, RouteKey).toBe("NONE");
        expect(AuthorizerId, RouteKey).toBeUndefined();
      }
    }
    // Only API Gateway, for this authorizer, may invoke it.
    const permissions = ofType(resources, "AWS::Lambda::Permission").filter(([, p]) => referencedId(p.Properties.FunctionName) === authorizerFunction);
    expect(permissions).toHaveLength(1);
    expect(permissions[0]![1].Properties.Principal).toBe("apigateway.amazonaws.com");
    expect(render(permissions[0]![1].Properties.SourceArn)).toContain(`\${Ref:${apiId()}}/authorizers/\${Ref:${authorizerId}}`);
  });

  it("gives the authorizer both pools and no origin secret, and no table or API access", () => {
    const authorizerFunction = functionIdOf(template, connectAuthorizer.handler);
    const variables = variablesOf(authorizerFunction);
    for (const names of Object.values(poolEnv)) {
      expect(variables[names.userPoolId]).toBeDefined();
      expect(variables[names.clientId]).toBeDefined();
    }
    // Nothing stands in front of the WebSocket API: no CloudFront origin header to check.
    expect(variables).not.toHaveProperty(ORIGIN_VERIFY_ENV);
    expect([...actionsOf(functionStatements(resources, authorizerFunction))].sort()).toEqual([...logWriteActions, ...tracingActions].sort());
  });

  it("exports its wss:// URL for the web app", () => {
    const output = template.toJSON().Outputs?.WebSocketUrl;
    expect(render(output.Value)).toMatch(new RegExp(`^wss://\\$\\{Ref:${apiId()}\\}\\.execute-api\\.[a-z0-9-]+\\.\\$\\{Ref:AWS::URLSuffix\\}/test$`));
  });
});

describe("the stage", () => {
  const stage = () => onlyOfType(resources, "AWS::ApiGatewayV2::Stage")[1].Properties;

  it("is named for the stage, deploys automatically, and throttles the whole stage and $connect more", () => {
    expect(stage()).toMatchObject({
      StageName: "test",
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: realtimeThrottle.rate, ThrottlingBurstLimit: realtimeThrottle.burst },
      RouteSettings: { $connect: { ThrottlingRateLimit: connectThrottle.rate, ThrottlingBurstLimit: connectThrottle.burst } },
    });
    expect(connectThrottle.rate).toBeLessThan(realtimeThrottle.rate);
    // RouteSettings name $connect: the stage waits for the routes.
    const [stageId] = onlyOfType(resources, "AWS::ApiGatewayV2::Stage");
    const routeIds = ofType(resources, "AWS::ApiGatewayV2::Route").map(([id]) => id);
    expect(asList(resources[stageId]!.DependsOn)).toEqual(expect.arrayContaining(routeIds));
  });

  it("logs every request as JSON to an encrypted, expiring log group of its own, without the query string (the token)", () => {
    const { DestinationArn, Format } = stage().AccessLogSettings;
    const logGroupId = referencedId(DestinationArn)!;
    const logGroup = resources[logGroupId]!;
    expect(logGroup.Type).toBe("AWS::Logs::LogGroup");
    expect(logGroup.Properties.KmsKeyId).toBeDefined();
    expect(logGroup.Properties.RetentionInDays).toBeGreaterThan(0);
    expect(logGroup.Properties.LogGroupName).toMatch(/^\/aws\/vendedlogs\/apis\//);
    const fields = JSON.parse(Format.replace(/:\$context\.(\w+)/g, ':"$context.$1"'));
    expect(Object.values(fields)).toEqual(expect.arrayContaining(["$context.routeKey", "$context.connectionId", "$context.status"]));
    expect(Format).not.toMatch(/querystring|token|authorizer/i);
  });
});

describe("the route functions", () => {
  it.each(realtimeFunctionEntries())("allows %s exactly its declared table access, and no pushing", (_name, fn) => {
    const functionId = functionIdOf(template, fn.handler);
    const statements = functionStatements(resources, functionId);
    expect([...actionsOf(statements)].sort()).toEqual([...tableActions(fn.table), ...logWriteActions, ...tracingActions].sort());
    expect(variablesOf(functionId)).not.toHaveProperty(REALTIME_ENDPOINT_ENV);
    ownLogGroupOf(resources, functionId);
  });

  it.each(realtimeFunctionEntries())("lets only this API invoke %s, on its own routes", (_name, fn) => {
    const functionId = functionIdOf(template, fn.handler);
    const permissions = ofType(resources, "AWS::Lambda::Permission").filter(([, p]) => referencedId(p.Properties.FunctionName) === functionId);
    expect(permissions).toHaveLength(fn.routes.length);
    for (const [, permission] of permissions) {
      expect(permission.Properties.Principal).toBe("apigateway.amazonaws.com");
      expect(render(permission.Properties.SourceArn)).toMatch(new RegExp(`:execute-api:[a-z0-9-]+:${account}:\\$\\{Ref:${apiId()}\\}/`));
    }
  });

  it("runs every function with the shared Lambda settings", () => {
    for (const handler of [connectAuthorizer.handler, ...realtimeFunctionEntries().map(([, fn]) => fn.handler), ...pushConsumerEntries().map(([, c]) => c.handler)]) {
      expect(resources[functionIdOf(template, handler)]!.Properties, handler).toMatchObject({ Runtime: "nodejs22.x", Architectures: ["arm64"], TracingConfig: { Mode: "Active" } });
    }
  });
});

describe("the push consumers", () => {
  it.each(pushConsumerEntries())("routes %s's declared pattern from the Events stack's bus, with bounded retries and a dead-letter queue", (_name, consumer) => {
    const functionId = functionIdOf(template, consumer.handler);
    const rules = ofType(resources, "AWS::Events::Rule").filter(([, r]) => asList<{ Arn: unknown }>(r.Properties.Targets).some((t) => referencedId(t.Arn) === functionId));
    expect(rules).toHaveLength(1);
    const rule = rules[0]![1].Properties;
    expect(rule.EventPattern).toEqual(consumer.pattern);
    // The bus is the Events stack's (imported): its export of the bus's Ref.
    const busId = onlyOfType(resourcesOf(app.template(Events)), "AWS::Events::EventBus")[0];
    expect(JSON.stringify(rule.EventBusName)).toMatch(new RegExp(`Events:ExportsOutputRef${busId}`));
    const [target] = rule.Targets;
    expect(target.RetryPolicy.MaximumEventAgeInSeconds).toBeLessThanOrEqual(60);
    const queueId = referencedId(target.DeadLetterConfig.Arn)!;
    expect(resources[queueId]?.Type).toBe("AWS::SQS::Queue");
    expect(resources[functionId]!.Properties.DeadLetterConfig).toEqual({ TargetArn: target.DeadLetterConfig.Arn });
    ownLogGroupOf(resources, functionId);
  });

  it.each(pushConsumerEntries())(
    "lets %s post to this API's stage's connections only, tells it the management endpoint, and allows nothing else undeclared",
    (_name, consumer) => {
      const functionId = functionIdOf(template, consumer.handler);
      const statements = functionStatements(resources, functionId);
      const nonQueue = [...actionsOf(statements)].filter((a) => !a.startsWith("sqs:")).sort();
      expect(nonQueue).toEqual([...tableActions(consumer.table), MANAGE_CONNECTIONS, ...logWriteActions, ...tracingActions].sort());
      expect(resourcesFor(statements, MANAGE_CONNECTIONS)).toEqual([
        `arn:\${Ref:AWS::Partition}:execute-api:${app.region}:${account}:\${Ref:${apiId()}}/test/POST/@connections/*`,
      ]);
      expect(render(variablesOf(functionId)[REALTIME_ENDPOINT_ENV])).toBe(`https://\${Ref:${apiId()}}.execute-api.${app.region}.\${Ref:AWS::URLSuffix}/test`);
    },
  );

  it("are the only functions of the app allowed to manage connections", () => {
    const pushers = new Set(pushConsumerEntries().map(([, c]) => functionIdOf(template, c.handler)));
    for (const stack of app.stacks) {
      const stackResources = resourcesOf(stack.template);
      for (const [functionId] of ofType(stackResources, "AWS::Lambda::Function")) {
        if (stack.template === template && pushers.has(functionId)) continue;
        const role = referencedId(stackResources[functionId]!.Properties.Role);
        if (!role || stackResources[role]?.Type !== "AWS::IAM::Role") continue;
        expect(actionsOf(functionStatements(stackResources, functionId)).has(MANAGE_CONNECTIONS), `${stack.id} ${functionId}`).toBe(false);
      }
      for (const statement of allStatements(stack.template)) {
        for (const action of asList(statement.Action)) expect(action, stack.id).not.toMatch(/^execute-api:\*$|^execute-api:Invoke$/);
      }
    }
  });
});

describe("stack order", () => {
  it("deploys after Storage, Auth and Events (the table, the pools, the bus), and neither Events nor Api waits for it", () => {
    const realtime = app.stack(Realtime);
    expect(realtime.dependencies).toEqual(expect.arrayContaining([app.stack(Storage), app.stack(Auth), app.stack(Events)]));
    expect(app.stack(Events).dependencies).not.toContain(realtime);
    expect(app.stack(Api).dependencies).not.toContain(realtime);
  });
});
