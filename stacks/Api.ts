import { dependsOn, Api as HttpApi, type ApiRouteProps, type StackContext, use } from "sst/constructs";
import { routeEntries } from "../functions/routes";
import { functionDefaults, stageConfig } from "./config";
import { ARCHIVE_BUCKET_ENV } from "../functions/events/index";
import { archiveReadPolicy, tablePolicy, workflowPolicy } from "./iam";
import { Storage } from "./Storage";
import { workflowEnvironment, Workflows } from "./Workflows";

/**
 * The HTTP API: one Lambda per entry of the route table (functions/routes.ts), each allowed
 * only the table access its entry declares, to start only the workflows its entry `starts`
 * (whose ARNs it gets as environment variables), and to send task tokens only if its entry
 * `sendsTaskTokens`.
 *
 * Authentication: no authorizer yet — the Cognito stack lands in a later issue, and until
 * then every handler except the public health check rejects a request without JWT claims
 * with 401. When it lands: `authorizers: { jwt: { type: "user_pool", ... } }`,
 * `defaults.authorizer: "jwt"`, and `authorizer: "none"` on the routes whose `roles` is
 * `"public"`.
 */
export function Api({ stack }: StackContext) {
  const { table, archiveBucket } = use(Storage);
  const { stateMachineArns } = use(Workflows);
  // The ARNs are plain strings (fixed state machine names), not references: without this,
  // nothing would make CloudFormation create the state machines before the routes using them.
  dependsOn(Workflows);
  const { regionId } = stageConfig(stack.stage);

  const routes: Record<string, ApiRouteProps<string>> = Object.fromEntries(
    routeEntries().map(([routeKey, route]) => [
      routeKey,
      {
        function: {
          handler: route.handler,
          description: `${routeKey}: ${route.description}`,
          environment: {
            TABLE_NAME: table.tableName,
            CAREBOOK_REGION_ID: regionId,
            ...workflowEnvironment(route.starts, stateMachineArns),
            ...(route.readsArchive ? { [ARCHIVE_BUCKET_ENV]: archiveBucket.bucketName } : {}),
          },
          permissions: [
            ...tablePolicy(route.table, table.tableArn),
            ...workflowPolicy(route, stateMachineArns),
            ...archiveReadPolicy(route.readsArchive, archiveBucket.bucketArn),
          ],
        },
      },
    ]),
  );

  const api = new HttpApi(stack, "Api", {
    defaults: {
      function: functionDefaults,
      // Per-stage default for every route (requests per second, and the bucket above it).
      throttle: { rate: 50, burst: 100 },
    },
    cors: {
      allowHeaders: ["authorization", "content-type", "idempotency-key"],
      allowMethods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
      // Any origin for now: the API is bearer-token authenticated (no cookies, no
      // credentials). The Web stack narrows this to its own domain.
      allowOrigins: ["*"],
    },
    routes,
  });

  stack.addOutputs({ ApiUrl: api.url });

  return { api };
}
