import { Api as HttpApi, type ApiRouteProps, type StackContext, use } from "sst/constructs";
import { routeEntries } from "../functions/routes";
import { stageConfig } from "./config";
import { tablePolicy } from "./iam";
import { Storage } from "./Storage";

/**
 * The HTTP API: one Lambda per entry of the route table (functions/routes.ts), each allowed
 * only the table access its entry declares.
 *
 * Authentication: no authorizer yet — the Cognito stack lands in a later issue, and until
 * then every handler except the public health check rejects a request without JWT claims
 * with 401. When it lands: `authorizers: { jwt: { type: "user_pool", ... } }`,
 * `defaults.authorizer: "jwt"`, and `authorizer: "none"` on the routes whose `roles` is
 * `"public"`.
 */
export function Api({ stack }: StackContext) {
  const { table } = use(Storage);
  const { regionId } = stageConfig(stack.stage);

  const routes: Record<string, ApiRouteProps<string>> = Object.fromEntries(
    routeEntries().map(([routeKey, route]) => [
      routeKey,
      {
        function: {
          handler: route.handler,
          description: `${routeKey}: ${route.description}`,
          environment: { TABLE_NAME: table.tableName, CAREBOOK_REGION_ID: regionId },
          permissions: tablePolicy(route.table, table.tableArn),
        },
      },
    ]),
  );

  const api = new HttpApi(stack, "Api", {
    defaults: {
      function: {
        // nodejs22.x is SST 2.49.8's default too; stated so an SST upgrade cannot change it.
        runtime: "nodejs22.x",
        architecture: "arm_64",
        memorySize: 512,
        timeout: 10,
        environment: { POWERTOOLS_SERVICE_NAME: "carebook" },
      },
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
