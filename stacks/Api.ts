import { RemovalPolicy } from "aws-cdk-lib";
import { CfnRoute, type CfnStage } from "aws-cdk-lib/aws-apigatewayv2";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { NagSuppressions } from "cdk-nag";
import {
  dependsOn,
  Function as SstFunction,
  Api as HttpApi,
  type ApiRouteProps,
  type StackContext,
  use,
} from "sst/constructs";
import { ORIGIN_VERIFY_ENV, ORIGIN_VERIFY_HEADER, poolEnv } from "../functions/auth/pools";
import { routeEntries } from "../functions/routes";
import { Auth, poolEnvironment } from "./Auth";
import { accessLogGroup, functionDefaults, functionLogging, tableFunctionDefaults } from "./config";
import { ARCHIVE_BUCKET_ENV } from "../functions/events/index";
import { WEB_PUSH_PARAMETER_ENV } from "../functions/lib/channels/web-push";
import { Events } from "./Events";
import { archiveReadPolicy, parameterReadPolicy, staffAccountsPolicy, tablePolicy, workflowPolicy } from "./iam";
import { suppressFunctionFindings, suppressSstInternals } from "./nag";
import { Storage } from "./Storage";
import { defaultThrottle, routeThrottles } from "./throttle";
import { workflowEnvironment, Workflows } from "./Workflows";

/**
 * How long API Gateway reuses the authorizer's answer for the same Authorization header (and
 * origin header). A cached "allow" outlives the token's expiry or revocation by at most this
 * much, so it stays short; at a minute the authorizer still runs only about once a minute per
 * signed-in user instead of on every request (latency, and cold starts of its own).
 */
export const AUTHORIZER_CACHE_SECONDS = 60;

/**
 * The origin secret's generation. CloudFormation resolves a secret's dynamic reference only when
 * the resource using it changes, so a new value in the same secret would reach neither CloudFront
 * nor the authorizer; rotating is bumping this number: a new secret, whose new ARN changes both.
 */
export const ORIGIN_VERIFY_GENERATION = 1;

/**
 * The HTTP API: one Lambda per entry of the route table (functions/routes.ts), each allowed
 * only the table access its entry declares, to start only the workflows its entry `starts`
 * (whose ARNs it gets as environment variables), and to send task tokens only if its entry
 * `sendsTaskTokens`, and to manage staff pool accounts only if its entry `managesStaffAccounts`
 * (the staff pool's id as environment, cognito-idp actions on that pool only).
 *
 * Authentication: a Lambda authorizer (functions/auth/authorizer.ts) on every route except
 * those whose `roles` is `"public"`, trusting the two user pools of the Auth stack and, through
 * the origin secret, only requests that came through the Edge stack's CloudFront distribution
 * (and so through its WebACL).
 *
 * Throttling: per route, as stacks/throttle.ts declares, on the stage's RouteSettings.
 */
export function Api({ app, stack }: StackContext) {
  const { table, archiveBucket, logsKey } = use(Storage);
  const pools = use(Auth);
  const { stateMachineArns } = use(Workflows);
  const { webPushKeys } = use(Events);
  // The ARNs are plain strings (fixed state machine names), not references: without this,
  // nothing would make CloudFormation create the state machines before the routes using them.
  dependsOn(Workflows);

  const routes: Record<string, ApiRouteProps<"cognito">> = Object.fromEntries(
    routeEntries().map(([routeKey, route]) => [
      routeKey,
      {
        // Everything else takes the default authorizer.
        ...(route.roles === "public" ? { authorizer: "none" as const } : {}),
        function: {
          // Its own encrypted, expiring log group, and a role that may write to it only.
          ...functionLogging(stack, `Route_${routeKey.replace(/[^A-Za-z0-9]+/g, "_")}`, logsKey),
          handler: route.handler,
          // Lambda keeps 256 characters; the route table (and the OpenAPI document) has the whole text.
          description: `${routeKey}: ${route.description}`.slice(0, 256),
          environment: {
            ...workflowEnvironment(route.starts, stateMachineArns),
            ...(route.readsArchive ? { [ARCHIVE_BUCKET_ENV]: archiveBucket.bucketName } : {}),
            ...(route.managesStaffAccounts ? { [poolEnv.staff.userPoolId]: pools.staff.userPool.userPoolId } : {}),
            ...(route.readsWebPushKey ? { [WEB_PUSH_PARAMETER_ENV.publicKey]: webPushKeys.publicKey.name } : {}),
          },
          permissions: [
            ...tablePolicy(route.table, table.tableArn),
            ...workflowPolicy(route, stateMachineArns),
            ...archiveReadPolicy(route.readsArchive, archiveBucket.bucketArn),
            ...staffAccountsPolicy(route.managesStaffAccounts, pools.staff.userPool.userPoolArn),
            ...parameterReadPolicy(route.readsWebPushKey ? [webPushKeys.publicKey.arn] : []),
          ],
        },
      },
    ]),
  );

  // The secret CloudFront sends as ORIGIN_VERIFY_HEADER (Edge stack) and the authorizer expects.
  // Not rotated automatically: both ends read it at deployment (ORIGIN_VERIFY_GENERATION).
  const originVerify = new Secret(stack, `OriginVerify${ORIGIN_VERIFY_GENERATION}`, {
    description: "Header value that proves a request to the HTTP API came through CloudFront",
    generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
    removalPolicy: RemovalPolicy.DESTROY,
  });

  const authorizer = new SstFunction(stack, "Authorizer", {
    ...functionDefaults,
    ...functionLogging(stack, "Authorizer", logsKey),
    handler: "functions/auth/authorizer.handler",
    description: "Lambda authorizer: tokens of the patients and staff user pools",
    timeout: 5,
    environment: {
      ...functionDefaults.environment,
      ...poolEnvironment(pools),
      // A CloudFormation dynamic reference, resolved at deployment.
      [ORIGIN_VERIFY_ENV]: originVerify.secretValue.unsafeUnwrap(),
    },
  });

  const accessLog = accessLogGroup(stack, "AccessLog", app.logicalPrefixedName("api"), logsKey);

  const api = new HttpApi(stack, "Api", {
    authorizers: {
      cognito: {
        type: "lambda",
        function: authorizer,
        responseTypes: ["simple"],
        resultsCacheTtl: `${AUTHORIZER_CACHE_SECONDS} seconds`,
        // Both are required: without either header API Gateway answers 401 without invoking
        // the authorizer; both together are the cache key.
        identitySource: ["$request.header.Authorization", `$request.header.${ORIGIN_VERIFY_HEADER}`],
      },
    },
    // Access log in SST's default format, to a group of our own: encrypted with the stage's logs
    // key and expiring (SST's would be neither).
    accessLog: { destinationArn: accessLog.logGroupArn },
    defaults: {
      authorizer: "cognito",
      // functionDefaults plus TABLE_NAME and CAREBOOK_REGION_ID, as in Workflows and Events.
      function: tableFunctionDefaults(stack.stage, table),
      // The stage's default (requests per second, and the bucket above it); every route of the
      // route table has its own limits below.
      throttle: defaultThrottle,
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

  // Per-route limits (stacks/throttle.ts). API Gateway refuses RouteSettings for a route key it
  // does not know yet, so the stage waits for every route.
  const stage = api.cdk.httpApi.defaultStage!.node.defaultChild as CfnStage;
  stage.routeSettings = Object.fromEntries(
    routeThrottles().map(([routeKey, { rate, burst }]) => [
      routeKey,
      { ThrottlingRateLimit: rate, ThrottlingBurstLimit: burst },
    ]),
  );
  const cfnRoutes = api.node.findAll().filter((child): child is CfnRoute => child instanceof CfnRoute);
  for (const route of cfnRoutes) stage.addDependency(route);

  // Invoked synchronously by API Gateway, like the routes.
  suppressFunctionFindings(authorizer, "http");
  for (const routeKey of api.routes) suppressFunctionFindings(api.getFunction(routeKey)!, "http");
  suppressSstInternals(stack);

  // Clients use the Edge stack's URL: requests here directly are refused by the authorizer.
  stack.addOutputs({ OriginUrl: api.url });

  NagSuppressions.addResourceSuppressions(
    cfnRoutes.filter((route) => routeEntries().some(([key, r]) => r.roles === "public" && route.routeKey === key)),
    [{ id: "AwsSolutions-APIG4", reason: "Public by the route table: liveness check and the OpenAPI document." }],
  );
  NagSuppressions.addResourceSuppressions(originVerify, [
    ...["AwsSolutions-SMG4", "HIPAA.Security-SecretsManagerRotationEnabled"].map((id) => ({
      id,
      reason:
        "CloudFront and the authorizer read the value at deployment; rotated by a new generation (ORIGIN_VERIFY_GENERATION, docs/auth-and-edge.md).",
    })),
    {
      id: "HIPAA.Security-SecretsManagerUsingKMSKey",
      reason: "Not patient data: a shared marker that CloudFront forwards; the AWS managed key suffices.",
    },
  ]);

  return { api, originVerify };
}
