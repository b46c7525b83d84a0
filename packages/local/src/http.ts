/**
 * The local stand-in for API Gateway (HTTP API, payload format 2.0): serves the route table
 * by building the event API Gateway would build, running the authorizer's checks, and
 * invoking the same Lambda handler module in-process.
 *
 * The authorizer is production's Lambda authorizer (two user pools, one API): a token of
 * either pool is verified and the handler gets `requestContext.authorizer.lambda`, built by the
 * same `authorizerContext` (functions/lib/authorizer-context.ts).
 *
 * Also serves the local issuer's endpoints under /local-auth/, which in AWS are Cognito's:
 *   POST /local-auth/signup   {email, password, name}            → 201 {sub, email, name} (patients pool)
 *   POST /local-auth/token    {email, password, totp?}           → 200 {idToken, accessToken, refreshToken, expiresIn, tokenType}
 *                             {grantType: "refresh_token", refreshToken} → 200 {idToken, accessToken, expiresIn, tokenType}
 *   POST /local-auth/revoke   {refreshToken}                     → 204 (the session's tokens stop working)
 *   POST /local-auth/totp     (Bearer token of a patient)        → 200 {secret, uri}: enrols TOTP
 *   GET  /local-auth/pools/{patients|staff}/.well-known/jwks.json and …/openid-configuration
 * Errors as everywhere: `{ error: { code, message, details? } }` (auth.ts lists the codes).
 * And each pool's hosted sign-in, as the deployed app uses Cognito's (OAuth 2.0 code flow with
 * PKCE, OAuth-shaped errors): …/pools/<pool>/oauth2/{authorize,token,revoke}, …/signup,
 * …/logout — hosted-signin.ts, redirecting only to `webOrigins`.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type {
  APIGatewayEventRequestContextLambdaAuthorizer,
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  Context,
} from "aws-lambda";
import { DomainError, ForbiddenError, UnauthorizedError, ValidationError } from "@carebook/core/errors";
import { authorizerContext, type AuthorizerContext } from "../../../functions/lib/authorizer-context";
import type { RouteDefinition } from "../../../functions/routes";
import { track } from "./activity";
import { POOLS, type LocalIssuer, type LocalUser } from "./auth";
import { hostedSignInRoutes, openIdConfiguration, type HostedEndpoint } from "./hosted-signin";
import { realClearTimeout, realNow, realSetTimeout } from "./real-time";

// ---------------------------------------------------------------------------------------
// Types

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LambdaHandler = (event: any, context: Context, callback?: (error?: unknown, result?: unknown) => void) => unknown;
export type HandlerLoader = (handlerPath: string) => Promise<LambdaHandler>;
export type ExtraRoute = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface ApiServerOptions {
  routes: Readonly<Record<string, RouteDefinition>>;
  /** Resolves "functions/api/x.handler" to the handler function. Default: `importHandler(projectRoot)`. */
  loadHandler?: HandlerLoader;
  /** For the default loader. Default: the repository root. */
  projectRoot?: string;
  issuer: LocalIssuer;
  /** Local-only endpoints, keyed "GET /local/whatever" (exact method and path). Unlike the
   * routes, they do not count as app work for the controllable clock (activity.ts). */
  extraRoutes?: Record<string, ExtraRoute>;
  /** Local-only endpoints under a path prefix, keyed "/local/whatever": any method, any path
   * below it (the WebSocket management API's `/@connections/{id}`, websocket.ts). */
  prefixRoutes?: Record<string, ExtraRoute>;
  /** Answers GET/HEAD requests outside /api that no route matched: the web app (web.ts). */
  fallback?: ExtraRoute;
  /** Runs after a local sign-up (creates the Patient record); a throw rolls the user back. */
  onSignup?: (user: LocalUser) => Promise<void> | void;
  /** The web app's origins (e.g. "http://127.0.0.1:3000"): hosted sign-in sends users back only
   * to their /auth/callback and /signin, as the app client's registered URLs. Default none. */
  webOrigins?: readonly string[];
  /** Simulated Lambda timeout. Default 10 000 ms. */
  timeoutMs?: number;
  /** Largest accepted request body. Default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * Handler invocations running at once; more wait in line, and their Lambda clock starts only
   * when they run. In AWS every concurrent request gets its own Lambda; here they share one
   * Node thread and one DynamoDB Local, so an unbounded crowd would time out against a
   * deadline production never has. Default $CAREBOOK_LOCAL_CONCURRENCY or 16.
   */
  maxConcurrency?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/** A counting semaphore: `run` waits for a free place (first come, first served). */
export function concurrencyLimit(max: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async function run<T>(fn: () => Promise<T>): Promise<T> {
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
export const MAX_BODY_BYTES = 1024 * 1024;
const CORS_ALLOW_HEADERS = "authorization,content-type,idempotency-key";
const CORS_ALLOW_METHODS = "GET,POST,PUT,PATCH,DELETE,OPTIONS";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

// ---------------------------------------------------------------------------------------
// Handler loading

/**
 * The default loader: "functions/api/appointments/get.handler" → the named export `handler`
 * of `<projectRoot>/functions/api/appointments/get.ts` (or .mts/.js/.mjs). Cached; a failed
 * import is not cached, so a fixed file loads on the next request.
 */
export function importHandler(projectRoot: string = PROJECT_ROOT): HandlerLoader {
  const cache = new Map<string, Promise<LambdaHandler>>();
  return (handlerPath) => {
    let loaded = cache.get(handlerPath);
    if (!loaded) {
      loaded = (async () => {
        const dot = handlerPath.lastIndexOf(".");
        if (dot <= 0) throw new Error(`Handler "${handlerPath}" is not "path/to/module.export"`);
        const modulePath = handlerPath.slice(0, dot);
        const exportName = handlerPath.slice(dot + 1);
        const base = resolve(projectRoot, modulePath);
        const file = [".ts", ".mts", ".js", ".mjs"].map((ext) => base + ext).find((f) => existsSync(f));
        if (!file) throw new Error(`Handler module not found: ${base}.ts`);
        const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
        const handler = mod[exportName];
        if (typeof handler !== "function") {
          throw new Error(`${file} has no exported function "${exportName}"`);
        }
        return handler as LambdaHandler;
      })();
      cache.set(handlerPath, loaded);
      loaded.catch(() => cache.delete(handlerPath));
    }
    return loaded;
  };
}

// ---------------------------------------------------------------------------------------
// Route matching (API Gateway HTTP API rules: most specific route wins)

type Segment = { kind: "literal"; value: string } | { kind: "param"; name: string } | { kind: "greedy"; name: string };

export interface CompiledRoute {
  routeKey: string;
  method: string;
  path: string;
  segments: Segment[];
  definition: RouteDefinition;
}

export function compileRoutes(routes: Readonly<Record<string, RouteDefinition>>): CompiledRoute[] {
  return Object.entries(routes).map(([routeKey, definition]) => {
    const space = routeKey.indexOf(" ");
    const method = routeKey.slice(0, space).toUpperCase();
    const path = routeKey.slice(space + 1);
    const segments: Segment[] = path
      .split("/")
      .slice(1)
      .map((part) => {
        const param = /^\{([^}]+)\}$/.exec(part);
        if (!param) return { kind: "literal", value: part };
        const name = param[1]!;
        return name.endsWith("+") ? { kind: "greedy", name: name.slice(0, -1) } : { kind: "param", name };
      });
    return { routeKey, method, path, segments, definition };
  });
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Path parameters when `rawPath` fits the template, else undefined. */
function matchPath(route: CompiledRoute, rawSegments: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  const { segments } = route;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.kind === "greedy") {
      const rest = rawSegments.slice(i);
      if (rest.length === 0 || rest.every((s) => s === "")) return undefined;
      params[segment.name] = safeDecode(rest.join("/"));
      return params;
    }
    const raw = rawSegments[i];
    if (raw === undefined) return undefined;
    if (segment.kind === "literal") {
      if (raw !== segment.value && safeDecode(raw) !== segment.value) return undefined;
    } else {
      if (raw === "") return undefined;
      params[segment.name] = safeDecode(raw);
    }
  }
  return rawSegments.length === segments.length ? params : undefined;
}

/** Higher is more specific: compares segment by segment, literal > {param} > {greedy+}. */
function specificity(route: CompiledRoute): number[] {
  return route.segments.map((s) => (s.kind === "literal" ? 2 : s.kind === "param" ? 1 : 0));
}

function compareSpecificity(a: CompiledRoute, b: CompiledRoute): number {
  const sa = specificity(a);
  const sb = specificity(b);
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const d = (sb[i] ?? -1) - (sa[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

export type RouteMatch =
  | { kind: "found"; route: CompiledRoute; pathParameters: Record<string, string> }
  | { kind: "method-not-allowed"; allow: string[] }
  | { kind: "not-found" };

export function matchRoute(compiled: CompiledRoute[], method: string, rawPath: string): RouteMatch {
  const rawSegments = rawPath.split("/").slice(1);
  const candidates: Array<{ route: CompiledRoute; params: Record<string, string> }> = [];
  for (const route of compiled) {
    const params = matchPath(route, rawSegments);
    if (params) candidates.push({ route, params });
  }
  if (candidates.length === 0) return { kind: "not-found" };
  const sameMethod = candidates
    .filter((c) => c.route.method === method.toUpperCase() || c.route.method === "ANY")
    .sort((a, b) => compareSpecificity(a.route, b.route));
  const best = sameMethod[0];
  if (!best) {
    return { kind: "method-not-allowed", allow: [...new Set(candidates.map((c) => c.route.method))] };
  }
  return { kind: "found", route: best.route, pathParameters: best.params };
}

// ---------------------------------------------------------------------------------------
// Responses

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer | undefined,
  headers: Array<[string, string]> = [],
  requestId?: string,
): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  const seen = new Set<string>();
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (lower === "content-length" || lower === "transfer-encoding") continue;
    if (seen.has(lower)) {
      const previous = res.getHeader(lower);
      res.setHeader(lower, Array.isArray(previous) ? [...previous, value] : [String(previous), value]);
    } else {
      res.setHeader(lower, value);
      seen.add(lower);
    }
  }
  if (!res.hasHeader("access-control-allow-origin")) res.setHeader("access-control-allow-origin", "*");
  if (requestId && !res.hasHeader("apigw-requestid")) res.setHeader("apigw-requestid", requestId);
  const payload = body === undefined ? undefined : typeof body === "string" ? Buffer.from(body, "utf8") : body;
  res.setHeader("content-length", String(payload?.length ?? 0));
  res.end(payload);
}

function sendJson(res: ServerResponse, status: number, value: unknown, extraHeaders: Array<[string, string]> = [], requestId?: string): void {
  send(res, status, JSON.stringify(value), [["content-type", "application/json"], ...extraHeaders], requestId);
}

function sendError(res: ServerResponse, status: number, code: string, message: string, details?: unknown, requestId?: string): void {
  sendJson(res, status, errorBody(code, message, details), [], requestId);
}

function isDomainError(error: unknown): error is DomainError {
  if (error instanceof DomainError) return true;
  // Duck-typed too, in case the errors module was loaded twice under different URLs.
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as DomainError).status === "number" &&
    typeof (error as DomainError).code === "string" &&
    error instanceof Error &&
    (error as DomainError).status >= 400 &&
    (error as DomainError).status < 600
  );
}

function sendCaught(res: ServerResponse, error: unknown, where: string, requestId?: string): void {
  if (isDomainError(error)) {
    sendError(res, error.status, error.code, error.message, error.details, requestId);
    return;
  }
  console.error(`[local-api] ${where} failed:`, error);
  sendError(res, 500, "INTERNAL", "Internal server error", undefined, requestId);
}

/** A Lambda result turned into an HTTP response, per the payload 2.0 format rules. */
export interface NormalisedResponse {
  statusCode: number;
  headers: Array<[string, string]>;
  body: Buffer;
}

export function normaliseResult(result: unknown): NormalisedResponse {
  if (result !== null && typeof result === "object" && "statusCode" in result) {
    const r = result as {
      statusCode: unknown;
      headers?: Record<string, string | number | boolean>;
      multiValueHeaders?: Record<string, Array<string | number | boolean>>;
      cookies?: string[];
      body?: unknown;
      isBase64Encoded?: boolean;
    };
    const statusCode = Number(r.statusCode);
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
      throw new Error(`Handler returned an invalid statusCode: ${String(r.statusCode)}`);
    }
    const headers: Array<[string, string]> = [];
    for (const [name, value] of Object.entries(r.headers ?? {})) {
      if (value !== undefined && value !== null) headers.push([name, String(value)]);
    }
    for (const [name, values] of Object.entries(r.multiValueHeaders ?? {})) {
      for (const value of values ?? []) headers.push([name, String(value)]);
    }
    for (const cookie of r.cookies ?? []) headers.push(["set-cookie", cookie]);
    const rawBody = r.body === undefined || r.body === null ? "" : typeof r.body === "string" ? r.body : JSON.stringify(r.body);
    const body = r.isBase64Encoded ? Buffer.from(rawBody, "base64") : Buffer.from(rawBody, "utf8");
    return { statusCode, headers, body };
  }
  const text = typeof result === "string" ? result : (JSON.stringify(result) ?? "null");
  return { statusCode: 200, headers: [["content-type", "application/json"]], body: Buffer.from(text, "utf8") };
}

// ---------------------------------------------------------------------------------------
// Event and context

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** API Gateway's requestContext.time, e.g. "25/Nov/2026:15:00:00 +0000". */
export function formatApiGatewayTime(date: Date): string {
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** Lower-cased headers, repeated ones joined with ","; the cookie header moves to `cookies`. */
function collectHeaders(req: IncomingMessage): { headers: Record<string, string>; cookies?: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === "cookie") {
      cookies.push(...value.split(";").map((c) => c.trim()).filter(Boolean));
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return { headers, cookies: cookies.length ? cookies : undefined };
}

/**
 * Query parameters as API Gateway HTTP API gives them: percent-decoded, repeated keys joined
 * with ",", undefined when there are none. "+" is kept as "+" (API Gateway does not treat it
 * as a space; clients should send %20).
 */
export function parseQueryString(rawQueryString: string): Record<string, string> | undefined {
  if (!rawQueryString) return undefined;
  const params: Record<string, string> = {};
  for (const part of rawQueryString.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const key = safeDecode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? "" : safeDecode(part.slice(eq + 1));
    params[key] = key in params ? `${params[key]},${value}` : value;
  }
  return Object.keys(params).length ? params : undefined;
}

/** Whether API Gateway passes this body as text (else base64 with isBase64Encoded). */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return (
    type.startsWith("text/") ||
    type === "application/json" ||
    type.endsWith("+json") ||
    type === "application/x-www-form-urlencoded"
  );
}

function functionNameOf(handlerPath: string): string {
  const module = handlerPath.slice(0, handlerPath.lastIndexOf(".") > 0 ? handlerPath.lastIndexOf(".") : undefined);
  const slug = module
    .replace(/^functions\//, "")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
  return `carebook-local-${slug}`.slice(0, 64);
}

export function createLambdaContext(handlerPath: string, requestId: string, timeoutMs: number): Context {
  const functionName = functionNameOf(handlerPath);
  // Real time: the Lambda limit is about work done, not the (possibly controlled) clock.
  const deadline = realNow() + timeoutMs;
  const now = new Date();
  const day = `${now.getUTCFullYear()}/${pad(now.getUTCMonth() + 1)}/${pad(now.getUTCDate())}`;
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is not supported locally; return a value or a promise`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: "512",
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString("hex")}`,
    getRemainingTimeInMillis: () => Math.max(0, Math.round(deadline - realNow())),
    done: unsupported("done"),
    fail: unsupported("fail"),
    succeed: unsupported("succeed"),
  };
}

/** Calls a Lambda handler the way the Node.js runtime does (promise or callback style). */
export function invokeLambda(handler: LambdaHandler, event: unknown, context: Context): Promise<unknown> {
  return new Promise((resolveResult, reject) => {
    let settled = false;
    const callback = (error?: unknown, result?: unknown) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolveResult(result);
    };
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof (returned as Promise<unknown>).then === "function") {
        (returned as Promise<unknown>).then(
          (r) => callback(undefined, r),
          (e) => callback(e ?? new Error("Handler rejected")),
        );
      } else if (handler.length < 3) {
        callback(undefined, returned);
      }
    } catch (error) {
      callback(error);
    }
  });
}

class TimeoutError extends Error {}

// ---------------------------------------------------------------------------------------
// Bodies

type BodyResult = { ok: true; body: Buffer } | { ok: false };

function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > maxBytes) {
        tooLarge = true;
        chunks.length = 0;
        resolveBody({ ok: false }); // keep draining, discard
        return;
      }
      chunks.push(chunk);
    });
    req.once("end", () => {
      if (!tooLarge) resolveBody({ ok: true, body: Buffer.concat(chunks) });
    });
    req.once("error", reject);
  });
}

function declaredTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  const length = Number(req.headers["content-length"]);
  return Number.isFinite(length) && length > maxBytes;
}

function sendTooLarge(req: IncomingMessage, res: ServerResponse, maxBytes: number, requestId?: string): void {
  sendJson(
    res,
    413,
    errorBody("PAYLOAD_TOO_LARGE", `Request body exceeds ${maxBytes} bytes`),
    [["connection", "close"]],
    requestId,
  );
  req.resume();
}

async function readJsonBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<unknown | typeof NO_BODY> {
  if (declaredTooLarge(req, maxBytes)) {
    sendTooLarge(req, res, maxBytes);
    return NO_BODY;
  }
  const result = await readBody(req, maxBytes);
  if (!result.ok) {
    sendTooLarge(req, res, maxBytes);
    return NO_BODY;
  }
  try {
    return JSON.parse(result.body.toString("utf8") || "null");
  } catch {
    sendError(res, 400, "INVALID_JSON", "Request body is not valid JSON");
    return NO_BODY;
  }
}
const NO_BODY = Symbol("no body");

// ---------------------------------------------------------------------------------------
// The local issuer's endpoints (Cognito's, in AWS)

type Endpoint = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Reads the JSON body as an object (`{}` when empty); undefined when an answer was sent. */
async function readJsonObject(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<Record<string, unknown> | undefined> {
  const input = await readJsonBody(req, res, maxBytes);
  if (input === NO_BODY) return undefined;
  return input !== null && typeof input === "object" && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
}

/** Sign-in: the password grant (with `totp` for MFA accounts) or the refresh grant. */
async function tokenGrant(issuer: LocalIssuer, input: Record<string, unknown>) {
  const grantType = input.grantType ?? "password";
  if (grantType === "password") {
    const { email, password, totp } = input;
    return issuer.issueTokens({ email, password, totp } as { email: string; password: string; totp?: string });
  }
  if (grantType === "refresh_token") return issuer.refreshTokens({ refreshToken: input.refreshToken as string });
  throw new ValidationError(
    "Unsupported grantType",
    [{ path: "grantType", code: "invalid_value", message: 'Expected "password" or "refresh_token"' }],
    "UNSUPPORTED_GRANT_TYPE",
  );
}

/** A hosted sign-in endpoint on the server: the request read (a POST's body within the limit),
 * the answer written as it says. */
function hostedEndpoint(endpoint: HostedEndpoint, maxBodyBytes: number): Endpoint {
  return async (req, res) => {
    const query = new URL(req.url ?? "/", "http://local").search.slice(1);
    let body: string | undefined;
    if (req.method === "POST") {
      if (declaredTooLarge(req, maxBodyBytes)) return sendTooLarge(req, res, maxBodyBytes);
      const result = await readBody(req, maxBodyBytes);
      if (!result.ok) return sendTooLarge(req, res, maxBodyBytes);
      body = result.body.toString("utf8");
    } else {
      req.resume();
    }
    const answer = await endpoint({ query, body, contentType: req.headers["content-type"], authorization: req.headers.authorization });
    send(res, answer.status, answer.body, Object.entries(answer.headers));
  };
}

export function localAuthRoutes(
  issuer: LocalIssuer,
  maxBodyBytes: number,
  onSignup?: (user: LocalUser) => Promise<void> | void,
  webOrigins: readonly string[] = [],
): Record<string, Endpoint> {
  /** Self sign-up (patients pool) and the patient's profile; a failed profile rolls the user back.
   * Only these three fields: sign-up can never choose a pool or a group. */
  const signUp = async ({ email, password, name }: { email?: unknown; password?: unknown; name?: unknown }) => {
    const user = await issuer.signUp({ email, password, name } as { email: string; password: string; name: string });
    if (onSignup) {
      try {
        await onSignup(user);
      } catch (error) {
        await issuer.removeUser(user.email);
        throw error;
      }
    }
    return user;
  };
  const endpoints: Record<string, Endpoint> = {
    "POST /local-auth/signup": async (req, res) => {
      const input = await readJsonObject(req, res, maxBodyBytes);
      if (!input) return;
      const user = await signUp(input);
      sendJson(res, 201, { sub: user.sub, email: user.email, name: user.name });
    },
    "POST /local-auth/token": async (req, res) => {
      const input = await readJsonObject(req, res, maxBodyBytes);
      if (input) sendJson(res, 200, await tokenGrant(issuer, input));
    },
    "POST /local-auth/revoke": async (req, res) => {
      const input = await readJsonObject(req, res, maxBodyBytes);
      if (!input) return;
      // 204 whether or not the token was live (RFC 7009): revoking is idempotent.
      await issuer.revoke({ refreshToken: input.refreshToken as string });
      send(res, 204, undefined);
    },
    /** Minimal TOTP enrolment for patients (staff secrets are set by an administrator — here,
     * the seed): one step, the secret is active at once. */
    "POST /local-auth/totp": async (req, res) => {
      req.resume();
      const { payload, pool } = await issuer.verifyBearer(req.headers.authorization);
      if (pool !== "patients") throw new ForbiddenError("Staff TOTP is set up by an administrator", "STAFF_MFA_MANAGED");
      const user = issuer.listUsers().find((u) => u.sub === payload.sub);
      if (!user) throw new UnauthorizedError();
      sendJson(res, 200, await issuer.enrolTotp(user.email));
    },
  };
  for (const pool of POOLS) {
    endpoints[`GET /local-auth/pools/${pool}/.well-known/jwks.json`] = async (_req, res) => sendJson(res, 200, issuer.jwks(pool));
    endpoints[`GET /local-auth/pools/${pool}/.well-known/openid-configuration`] = async (_req, res) =>
      sendJson(res, 200, openIdConfiguration(issuer, pool));
  }
  for (const [key, endpoint] of Object.entries(hostedSignInRoutes({ issuer, webOrigins, signUp }))) {
    endpoints[key] = hostedEndpoint(endpoint, maxBodyBytes);
  }
  return endpoints;
}

// ---------------------------------------------------------------------------------------
// The server

export function createApiServer(options: ApiServerOptions): Server {
  const compiled = compileRoutes(options.routes);
  const loadHandler = options.loadHandler ?? importHandler(options.projectRoot ?? PROJECT_ROOT);
  const { issuer, extraRoutes = {}, onSignup } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const limit = concurrencyLimit(options.maxConcurrency ?? (Number(process.env.CAREBOOK_LOCAL_CONCURRENCY) || 16));
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;

  const localAuth = localAuthRoutes(issuer, maxBodyBytes, onSignup, options.webOrigins);

  async function serveRoute(
    req: IncomingMessage,
    res: ServerResponse,
    match: Extract<RouteMatch, { kind: "found" }>,
    rawPath: string,
    rawQueryString: string,
  ): Promise<void> {
    const started = new Date();
    const requestId = randomUUID();
    const { route } = match;
    const { headers, cookies } = collectHeaders(req);

    if (declaredTooLarge(req, maxBodyBytes)) return sendTooLarge(req, res, maxBodyBytes, requestId);

    // The authorizer runs before the integration; a failure never reaches the handler.
    let authorizer: APIGatewayEventRequestContextLambdaAuthorizer<AuthorizerContext> | undefined;
    if (route.definition.roles !== "public") {
      try {
        const { payload, pool } = await issuer.verifyBearer(headers.authorization);
        authorizer = { lambda: authorizerContext(payload, pool) };
      } catch {
        req.resume();
        return sendError(res, 401, "UNAUTHORIZED", "Missing or invalid token", undefined, requestId);
      }
    }

    const bodyResult = await readBody(req, maxBodyBytes);
    if (!bodyResult.ok) return sendTooLarge(req, res, maxBodyBytes, requestId);
    const bodyBuffer = bodyResult.body;
    const isText = isTextContentType(headers["content-type"]);

    const sourceIp = (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
    headers["x-forwarded-for"] ??= sourceIp;
    headers["x-forwarded-port"] ??= String(req.socket.localPort ?? "");
    headers["x-forwarded-proto"] ??= "http";
    headers["x-amzn-trace-id"] ??= `Root=1-${Math.floor(started.getTime() / 1000).toString(16)}-${randomBytes(12).toString("hex")}`;

    const domainName = headers.host ?? "localhost";
    const requestContext = {
      accountId: "000000000000",
      apiId: "local",
      domainName,
      domainPrefix: domainName.split(":")[0]!.split(".")[0]!,
      http: {
        method: req.method!.toUpperCase(),
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers["user-agent"] ?? "",
      },
      requestId,
      routeKey: route.routeKey,
      stage: "$default",
      time: formatApiGatewayTime(started),
      timeEpoch: started.getTime(),
      ...(authorizer ? { authorizer } : {}),
    };
    const pathParameters = Object.keys(match.pathParameters).length ? match.pathParameters : undefined;
    const event = {
      version: "2.0",
      routeKey: route.routeKey,
      rawPath,
      rawQueryString,
      ...(cookies ? { cookies } : {}),
      headers,
      ...(parseQueryString(rawQueryString) ? { queryStringParameters: parseQueryString(rawQueryString) } : {}),
      requestContext,
      ...(pathParameters ? { pathParameters } : {}),
      ...(bodyBuffer.length
        ? { body: isText ? bodyBuffer.toString("utf8") : bodyBuffer.toString("base64") }
        : {}),
      isBase64Encoded: bodyBuffer.length > 0 && !isText,
    } as APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>;

    const handlerPath = route.definition.handler;
    let result: unknown;
    let timer: NodeJS.Timeout | undefined;
    try {
      const handler = await loadHandler(handlerPath);
      result = await limit(() => {
        const context = createLambdaContext(handlerPath, requestId, timeoutMs);
        return Promise.race([
          invokeLambda(handler, event, context),
          new Promise((_, reject) => {
            timer = realSetTimeout(() => reject(new TimeoutError()), timeoutMs);
          }),
        ]);
      });
    } catch (error) {
      if (error instanceof TimeoutError) {
        console.error(`[local-api] ${route.routeKey} (${handlerPath}) timed out after ${timeoutMs} ms`);
        return sendError(res, 504, "HANDLER_TIMEOUT", `Handler timed out after ${timeoutMs} ms`, undefined, requestId);
      }
      console.error(`[local-api] ${route.routeKey} (${handlerPath}) threw:`, error);
      return sendError(res, 500, "INTERNAL", "Internal server error", undefined, requestId);
    } finally {
      realClearTimeout(timer);
    }

    let response: NormalisedResponse;
    try {
      response = normaliseResult(result);
    } catch (error) {
      console.error(`[local-api] ${route.routeKey} (${handlerPath}) returned a bad response:`, error);
      return sendError(res, 500, "INTERNAL", "Internal server error", undefined, requestId);
    }
    send(res, response.statusCode, response.body, response.headers, requestId);
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const target = req.url ?? "/";
    const queryAt = target.indexOf("?");
    let rawPath = queryAt < 0 ? target : target.slice(0, queryAt);
    const rawQueryString = queryAt < 0 ? "" : target.slice(queryAt + 1).replace(/#.*$/, "");
    if (/^https?:\/\//i.test(rawPath)) rawPath = new URL(rawPath).pathname; // absolute-form
    const pathname = safeDecode(rawPath);

    if (method === "OPTIONS") {
      req.resume();
      return send(res, 204, undefined, [
        ["access-control-allow-origin", "*"],
        ["access-control-allow-methods", CORS_ALLOW_METHODS],
        ["access-control-allow-headers", CORS_ALLOW_HEADERS],
        ["access-control-max-age", "600"],
      ]);
    }

    if (pathname.startsWith("/local-auth/")) {
      const endpoint = localAuth[`${method} ${pathname}`];
      if (endpoint) return track(endpoint(req, res));
      req.resume();
      const known = Object.keys(localAuth).some((k) => k.endsWith(` ${pathname}`));
      return known
        ? sendError(res, 405, "METHOD_NOT_ALLOWED", `${method} is not allowed on ${pathname}`)
        : sendError(res, 404, "ROUTE_NOT_FOUND", `No route for ${method} ${pathname}`);
    }

    const extra = extraRoutes[`${method} ${pathname}`];
    if (extra) return extra(req, res);
    const prefixed = Object.entries(options.prefixRoutes ?? {}).find(([prefix]) => pathname.startsWith(`${prefix}/`));
    if (prefixed) return prefixed[1](req, res);

    const match = matchRoute(compiled, method, rawPath);
    if (match.kind === "not-found" && options.fallback && (method === "GET" || method === "HEAD") && !/^\/(api|local)\//.test(pathname)) {
      return options.fallback(req, res);
    }
    if (match.kind === "not-found") {
      req.resume();
      return sendError(res, 404, "ROUTE_NOT_FOUND", `No route for ${method} ${pathname}`);
    }
    if (match.kind === "method-not-allowed") {
      req.resume();
      return sendJson(
        res,
        405,
        errorBody("METHOD_NOT_ALLOWED", `${method} is not allowed on ${pathname}`),
        [["allow", [...match.allow, "OPTIONS"].join(",")]],
      );
    }
    // Counted as work in progress (activity.ts), unlike the local-only extra routes.
    return track(serveRoute(req, res, match, rawPath, rawQueryString));
  }

  return createServer((req, res) => {
    onRequest(req, res).catch((error) => sendCaught(res, error, `${req.method} ${req.url}`));
  });
}

/** Starts listening; resolves with the base URL, e.g. "http://127.0.0.1:3000". */
export function listen(server: Server, port = 0, host = "127.0.0.1"): Promise<string> {
  return new Promise((resolveUrl, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
      resolveUrl(`http://${shownHost}:${address.port}`);
    });
  });
}
