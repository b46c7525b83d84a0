import { IdempotencyConfig } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import { makeHandlerIdempotent } from "@aws-lambda-powertools/idempotency/middleware";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy, { type MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2WithLambdaAuthorizer, APIGatewayProxyResultV2, Context } from "aws-lambda";
import type { z } from "zod";
import { ValidationError } from "@carebook/core/errors";
import type { ResponseOf } from "../contract";
import { routes, type RouteDefinition, type RouteKey } from "../routes";
import { authenticate, authorize, loadStaffMember, type Caller } from "./auth";
import type { AuthorizerContext } from "./authorizer-context";
import { dynamo, env } from "./env";
import { errorMapper } from "./errors";
import { logger } from "./logger";

type Event = APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>;
type AnySchema = z.ZodType;

interface Schemas {
  body?: AnySchema;
  query?: AnySchema;
  path?: AnySchema;
}

type Infer<S> = S extends AnySchema ? z.infer<S> : undefined;

/** The request schemas the route table declares for a route ({} when it declares none). */
type RouteSchemas<K extends RouteKey> = (typeof routes)[K] extends { request: infer R extends Schemas } ? R : {};

export interface HttpRequest<S extends Schemas> {
  body: Infer<S["body"]>;
  query: Infer<S["query"]>;
  path: Infer<S["path"]>;
  caller: Caller;
  event: Event;
  context: Context;
  now: number;
}

export interface HttpResult<T = unknown> {
  status: number;
  body: T;
  headers?: Record<string, string>;
}

export function json<T>(status: number, body: T, headers?: Record<string, string>): HttpResult<T> {
  return { status, body, headers };
}

/** zod issues as the `details` of a 400. */
function issues(error: z.ZodError) {
  return error.issues.map((i) => ({ path: i.path.join("."), message: i.message, code: i.code }));
}

function parse<S extends AnySchema>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(`Invalid ${where}`, issues(result.error));
  return result.data;
}

function readBody(event: Event): unknown {
  if (event.body === undefined || event.body === null || event.body === "") return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError("The request body is not valid JSON", undefined, "MALFORMED_JSON");
  }
}

/** Parsed and validated input. */
interface Parsed {
  caller: Caller;
  body: unknown;
  query: unknown;
  path: unknown;
}

type ParsedContext = Context & { carebook?: Parsed };

/**
 * Authentication first — as API Gateway's authorizer would — so an anonymous caller learns
 * nothing from validation errors; then JSON body → zod validation. The parsed body replaces
 * `event.body`, so idempotency hashes the meaning of the body, not its whitespace.
 */
function authAndValidate(routeKey: RouteKey, schemas: Schemas): MiddlewareObj<Event> {
  const roles = routes[routeKey].roles;
  return {
    before: async (request) => {
      const event = request.event;
      if (roles === "public") throw new Error(`${routeKey} is public; use publicHandler`);
      const caller = await authorize(authenticate(event), roles, (sub) => loadStaffMember(dynamo().db, sub));
      logger.appendKeys({ routeKey, requestId: event.requestContext?.requestId, callerRole: caller.role });
      const raw = readBody(event);
      const parsed: Parsed = {
        caller,
        body: schemas.body ? parse(schemas.body, raw ?? {}, "request body") : undefined,
        query: schemas.query ? parse(schemas.query, event.queryStringParameters ?? {}, "query parameters") : undefined,
        path: schemas.path ? parse(schemas.path, event.pathParameters ?? {}, "path parameters") : undefined,
      };
      // middy's way to hand middleware results to the handler: a key on the context.
      (request.context as ParsedContext).carebook = parsed;
      if (schemas.body) (event as { body?: unknown }).body = parsed.body;
    },
  };
}

function idempotency(routeKey: RouteKey): MiddlewareObj<Event> {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: env("TABLE_NAME"),
    keyAttr: "pk",
    sortKeyAttr: "sk",
    staticPkValue: "idempotency",
    expiryAttr: "expiresAt",
    awsSdkV3Client: dynamo().raw,
  });
  const config = new IdempotencyConfig({
    // Only when the client sent a key; scoped to the caller so two users' keys never meet.
    eventKeyJmesPath:
      'headers."idempotency-key" && [requestContext.authorizer.lambda.sub, headers."idempotency-key"]',
    // The same key for another appointment (path) or another body is a client bug: 422.
    payloadValidationJmesPath: "[pathParameters, body]",
    expiresAfterSeconds: 24 * 3600,
  });
  const powertools = makeHandlerIdempotent({ persistenceStore, config, keyPrefix: routeKey }) as MiddlewareObj<Event>;
  // middy runs every onError, also when the idempotency `before` itself threw (key in use by a
  // request still running, or reused with another body). Powertools' onError would then delete
  // the record of the *other* request, and its retry would run again. So only a request that
  // got past the idempotency check may clean up after its own failure.
  const passed = new WeakSet<object>();
  return {
    before: async (request) => {
      const early = await powertools.before!(request);
      if (early === undefined) passed.add(request);
      return early;
    },
    after: powertools.after,
    onError: async (request) => {
      if (passed.has(request)) await powertools.onError!(request);
    },
  };
}

/**
 * The one middy stack of the HTTP handlers:
 * error mapper (outermost onError) → logger context → auth → body → zod → idempotency → handler.
 */
export function httpHandler<K extends RouteKey, S extends Schemas = RouteSchemas<K>>(
  routeKey: K,
  /** Must answer the type the route's entry declares (`response`), so clients can rely on it. */
  fn: (request: HttpRequest<S>) => Promise<HttpResult<ResponseOf<K>>>,
  options: { idempotent?: boolean } = {},
) {
  const schemas: Schemas = (routes[routeKey] as RouteDefinition).request ?? {};
  const stack = middy<Event, APIGatewayProxyResultV2>()
    .use(errorMapper())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(authAndValidate(routeKey, schemas));
  if (options.idempotent) stack.use(idempotency(routeKey));
  return stack.handler(async (event, context) => {
    const parsed = (context as ParsedContext).carebook!;
    const result = await fn({
      body: parsed.body as Infer<S["body"]>,
      query: parsed.query as Infer<S["query"]>,
      path: parsed.path as Infer<S["path"]>,
      caller: parsed.caller,
      event,
      context,
      now: Date.now(),
    });
    return toResponse(result);
  });
}

export function toResponse(result: HttpResult): APIGatewayProxyResultV2 {
  return {
    statusCode: result.status,
    headers: { "content-type": "application/json", ...result.headers },
    body: JSON.stringify(result.body),
  };
}

/** Routes without authentication (health): logger and error mapper only. */
export function publicHandler(fn: (event: Event) => Promise<HttpResult>) {
  return middy<Event, APIGatewayProxyResultV2>()
    .use(errorMapper())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => toResponse(await fn(event)));
}
