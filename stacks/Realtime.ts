import { ArnFormat, Duration } from "aws-cdk-lib";
import { CfnRoute, type CfnStage, WebSocketRoute } from "aws-cdk-lib/aws-apigatewayv2";
import { WebSocketLambdaAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { WebSocketLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { Function as SstFunction, type StackContext, use, WebSocketApi } from "sst/constructs";
import { pushConsumerEntries } from "../functions/events/index";
import {
  connectAuthorizer,
  REALTIME_ENDPOINT_ENV,
  type RealtimeFunctionName,
  realtimeFunctionEntries,
  realtimeRouteEntries,
  ROUTE_SELECTION_EXPRESSION,
} from "../functions/realtime/index";
import { Auth, poolEnvironment } from "./Auth";
import { accessLogGroup, functionLogging, tableFunctionDefaults } from "./config";
import { busConsumer, Events } from "./Events";
import { pushPolicy, tablePolicy } from "./iam";
import { suppress, suppressFunctionFindings, suppressSstInternals } from "./nag";
import { Storage } from "./Storage";
import type { Throttle } from "./throttle";

/**
 * Connections and messages per second for the whole stage (all clients together), and stricter for
 * `$connect`: each runs the authorizer, reads the staff record and writes the connection's items.
 * A browser tab connects once and reconnects after API Gateway's 2-hour limit or a network drop.
 */
export const realtimeThrottle: Throttle = { rate: 50, burst: 100 };
export const connectThrottle: Throttle = { rate: 10, burst: 20 };

/**
 * Pushes are worth seconds: a minute late, the screen has been re-fetched or left. So a push
 * consumer's event is retried briefly (60 s is the least either retry policy allows), then kept in
 * its dead-letter queue for diagnosis only.
 */
const pushRetry = {
  bus: { retryAttempts: 2, maxEventAge: Duration.seconds(60) },
  invoke: { retryAttempts: 1, maxEventAge: Duration.seconds(60) },
};

/**
 * Real-time updates (docs/realtime.md): the API Gateway WebSocket API of the WebSocket table
 * (functions/realtime/index.ts) — its routes, each Lambda allowed exactly its declared table
 * access, the `$connect` REQUEST authorizer (token in the query string; both user pools) — and
 * the events table's push consumers (functions/events/index.ts `pushConsumers`) on the Events
 * stack's bus, the only functions allowed to post to the API's connections.
 *
 * Why the push consumers are deployed here and not by Events: they need this API's management
 * endpoint and `execute-api:ManageConnections` on it, and this stack needs the bus — Events
 * referring to this stack would make the two depend on each other.
 *
 * SST's WebSocketApi gives the API, its stage, the access log and the account's API Gateway
 * CloudWatch Logs role (which WebSocket APIs need to log); its routes are added here with
 * aws-cdk-lib, because SST's grant every route Lambda ManageConnections on every stage.
 */
export function Realtime({ app, stack }: StackContext) {
  const { table, logsKey } = use(Storage);
  const pools = use(Auth);
  const { bus } = use(Events);

  // functionDefaults plus TABLE_NAME and CAREBOOK_REGION_ID, as in Workflows and Events.
  stack.setDefaultFunctionProps(tableFunctionDefaults(stack.stage, table));

  const accessLog = accessLogGroup(stack, "AccessLog", app.logicalPrefixedName("realtime"), logsKey);

  const api = new WebSocketApi(stack, "Realtime", {
    // SST's WebSocket format: request, route, status, integration, caller ip and agent,
    // connection — not the query string, which carries the token.
    accessLog: { destinationArn: accessLog.logGroupArn },
    cdk: {
      webSocketApi: {
        description: "Carebook real-time updates: appointment status and free slots",
        routeSelectionExpression: ROUTE_SELECTION_EXPRESSION,
      },
      webSocketStage: { throttle: { rateLimit: realtimeThrottle.rate, burstLimit: realtimeThrottle.burst } },
    },
  });
  const { webSocketApi, webSocketStage } = api.cdk;

  const authorizerFunction = new SstFunction(stack, "ConnectAuthorizer", {
    ...functionLogging(stack, "ConnectAuthorizer", logsKey),
    handler: connectAuthorizer.handler,
    description: "WebSocket $connect authorizer: tokens of the patients and staff user pools (query string)",
    timeout: 5,
    environment: poolEnvironment(pools),
  });
  const authorizer = new WebSocketLambdaAuthorizer("ConnectAuthorizer", authorizerFunction, {
    identitySource: [...connectAuthorizer.identitySource],
  });

  const functions = {} as Record<RealtimeFunctionName, SstFunction>;
  for (const [name, fn] of realtimeFunctionEntries()) {
    const id = `WebSocket${pascal(name)}`;
    functions[name] = new SstFunction(stack, id, {
      ...functionLogging(stack, id, logsKey),
      handler: fn.handler,
      description: `WebSocket ${fn.routes.join(", ")}: ${fn.description}`.slice(0, 256),
      permissions: tablePolicy(fn.table, table.tableArn),
    });
  }
  const routes: Record<string, WebSocketRoute> = {};
  for (const [routeKey, name, fn] of realtimeRouteEntries()) {
    const id = routeKey.replace(/^\$/, "").replace(/^./, (c) => c.toUpperCase());
    routes[routeKey] = new WebSocketRoute(stack, `${id}Route`, {
      webSocketApi,
      routeKey,
      integration: new WebSocketLambdaIntegration(`${id}Integration`, functions[name]),
      // API Gateway authorizes the connection once, on $connect; every message of it runs on that.
      ...(routeKey === "$connect" ? { authorizer } : {}),
      returnResponse: fn.replies,
    });
  }

  // $connect's own limit; API Gateway refuses RouteSettings for a route it does not know yet.
  const stage = webSocketStage.node.defaultChild as CfnStage;
  stage.routeSettings = { $connect: { ThrottlingRateLimit: connectThrottle.rate, ThrottlingBurstLimit: connectThrottle.burst } };
  for (const route of Object.values(routes)) stage.addDependency(route.node.defaultChild as CfnRoute);

  // Posting to this stage's connections, nothing else (stacks/iam.ts pushPolicy).
  const connectionsArn = stack.formatArn({
    service: "execute-api",
    resource: webSocketApi.apiId,
    resourceName: `${webSocketStage.stageName}/POST/@connections/*`,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  const pushConsumers = pushConsumerEntries().map(([name, consumer]) =>
    busConsumer(stack, name, consumer, {
      bus,
      logsKey,
      environment: { [REALTIME_ENDPOINT_ENV]: webSocketStage.callbackUrl },
      permissions: [...tablePolicy(consumer.table, table.tableArn), ...pushPolicy(connectionsArn)],
      retry: pushRetry,
    }).fn,
  );

  suppressFunctionFindings(authorizerFunction, "websocket");
  for (const fn of Object.values(functions)) suppressFunctionFindings(fn, "websocket");
  for (const [routeKey, route] of Object.entries(routes)) {
    if (routeKey === "$connect") continue;
    suppress(route, [
      {
        id: "AwsSolutions-APIG4",
        reason:
          "A WebSocket API authorizes only $connect (API Gateway allows an authorizer on no other route): this route " +
          "runs on a connection whose token the $connect authorizer verified, and reads the caller from its registration.",
      },
    ]);
  }
  // SST's WebSocketApi lets its per-stack custom-resource Lambda set the account's API Gateway
  // CloudWatch Logs role (WebSocket APIs log only through it).
  const cloudWatchRolePolicy = api.node.tryFindChild("APIGatewayCloudWatchRolePolicy");
  if (cloudWatchRolePolicy) {
    suppress(cloudWatchRolePolicy, [
      {
        id: "HIPAA.Security-IAMNoInlinePolicy",
        reason:
          "SST's WebSocketApi attaches this policy to its deploy-time CustomResourceHandler so that it can set the " +
          "account's API Gateway CloudWatch Logs role (apigateway GET/PATCH on the account, iam:CreateRole/PassRole/" +
          "AttachRolePolicy on that one role), which WebSocket API access logging requires.",
      },
    ]);
  }
  suppressSstInternals(stack);

  // The Web stack hands this URL to the browser app.
  stack.addOutputs({ WebSocketUrl: api.url });

  return { api, url: api.url, functions, authorizer: authorizerFunction, pushConsumers };
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
