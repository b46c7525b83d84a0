/**
 * The local stand-in for the API Gateway WebSocket API (functions/realtime/index.ts): clients
 * connect to `ws://<runtime>/ws?token=<JWT>` on the API's own HTTP server and port (its
 * `upgrade` event), and the same handler modules run in-process with events shaped as API
 * Gateway's Lambda proxy integration builds them.
 *
 * - `$connect`: the token is verified as the HTTP API's is (the local issuer's `verifyBearer`,
 *   standing in for functions/realtime/authorizer.ts), the caller's context put at
 *   `requestContext.authorizer` as a REQUEST authorizer's is — on this and every later event of
 *   the connection. No or a bad token: 401, before any handler runs (API Gateway: 401 without a
 *   token, 403 for a refused one). A `$connect` answering other than 2xx refuses the upgrade
 *   with its status.
 * - Messages: routed by `$request.body.action` (ROUTE_SELECTION_EXPRESSION) to `subscribe`,
 *   `unsubscribe`, else `$default`; a route with a route response (`replies`) sends the body its
 *   handler returns back to the client, a handler that throws sends API Gateway's
 *   `{"message":"Internal server error",…}`. Concurrent, as in API Gateway (no ordering).
 * - `$disconnect` when the socket closes, for whatever reason (also on the runtime's stop).
 * - API Gateway's limits: 128 KiB per message, 10 minutes idle, 2 hours per connection.
 * - The management API (`@aws-sdk/client-apigatewaymanagementapi` speaks to it unchanged) under
 *   LOCAL_MANAGEMENT_PREFIX: `POST /@connections/{id}` (the raw body is sent as one text
 *   message), `GET` (ConnectedAt, Identity, LastActiveAt), `DELETE` (closes it); 410
 *   `GoneException` for an id not connected. Signatures are not checked.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { authorizerContext } from "../../../functions/lib/authorizer-context";
import { LOCAL_WEBSOCKET_PATH, realtimeRouteEntries, type RealtimeFunction, TOKEN_QUERY_PARAMETER } from "../../../functions/realtime/index";
import { track } from "./activity";
import type { LocalIssuer } from "./auth";
import { createLambdaContext, DEFAULT_TIMEOUT_MS, formatApiGatewayTime, invokeLambda, type ExtraRoute, type HandlerLoader } from "./http";
import { realClearTimeout, realSetTimeout } from "./real-time";

/** Where the management API is served (REALTIME_ENDPOINT_ENV is `${url}${LOCAL_MANAGEMENT_PREFIX}`). */
export const LOCAL_MANAGEMENT_PREFIX = "/local/ws-management";
/** API Gateway's limits (WebSocket API quotas). */
export const MAX_MESSAGE_BYTES = 128 * 1024;
export const IDLE_TIMEOUT_MS = 10 * 60_000;
export const MAX_CONNECTION_MS = 2 * 3600_000;
const STAGE = "local";

export interface LocalWebSocketApiOptions {
  issuer: LocalIssuer;
  loadHandler: HandlerLoader;
  /** Simulated Lambda timeout. Default 10 000 ms. */
  timeoutMs?: number;
  idleTimeoutMs?: number;
  maxConnectionMs?: number;
}

/** What every event of a connection says about it. */
interface ConnectionInfo {
  connectionId: string;
  connectedAt: number;
  sourceIp: string;
  userAgent: string;
  domainName: string;
  /** The authorizer's answer, as API Gateway hands it to every route of the connection. */
  authorizer: Record<string, unknown>;
}

interface Connection extends ConnectionInfo {
  socket: WebSocket;
  lastActiveAt: number;
  timers: NodeJS.Timeout[];
  idle?: NodeJS.Timeout;
  disconnected: Promise<void>;
}

export interface LocalWebSocketApi {
  /** Serves `/ws` upgrades of this server. */
  attach(server: Server): void;
  /** The management API, for createApiServer's `prefixRoutes`. */
  prefixRoutes: Record<string, ExtraRoute>;
  /** Ids of the open connections. */
  connectionIds(): string[];
  /** Closes every connection (1001 Going away) and waits for their `$disconnect`. */
  close(): Promise<void>;
}

/** Like API Gateway's: 16 characters of base64 (so also `+`, `/` and `=`, which clients encode). */
const newConnectionId = () => randomBytes(11).toString("base64");

export function createLocalWebSocketApi(options: LocalWebSocketApiOptions): LocalWebSocketApi {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  const maxConnectionMs = options.maxConnectionMs ?? MAX_CONNECTION_MS;
  const routes = new Map<string, RealtimeFunction>(realtimeRouteEntries().map(([routeKey, , fn]) => [routeKey, fn]));
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const connections = new Map<string, Connection>();
  const pendingDisconnects = new Set<Promise<void>>();

  /** Runs a route's handler as API Gateway's integration would: its result, or the error. */
  async function invoke(routeKey: string, event: Record<string, unknown>): Promise<{ statusCode: number; body?: string }> {
    const fn = routes.get(routeKey);
    if (!fn) throw new Error(`No handler for WebSocket route ${routeKey}`);
    const handler = await options.loadHandler(fn.handler);
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = (await track(
        Promise.race([
          invokeLambda(handler, event, createLambdaContext(fn.handler, String((event.requestContext as { requestId: string }).requestId), timeoutMs)),
          new Promise((_, reject) => {
            timer = realSetTimeout(() => reject(new Error(`${fn.handler} timed out after ${timeoutMs} ms`)), timeoutMs);
          }),
        ]),
      )) as { statusCode?: unknown; body?: unknown } | undefined;
      return { statusCode: Number(result?.statusCode ?? 200), ...(typeof result?.body === "string" ? { body: result.body } : {}) };
    } finally {
      realClearTimeout(timer);
    }
  }

  function requestContext(c: ConnectionInfo, routeKey: string, eventType: string, extra: Record<string, unknown> = {}) {
    const now = new Date();
    return {
      routeKey,
      eventType,
      extendedRequestId: randomUUID(),
      requestTime: formatApiGatewayTime(now),
      messageDirection: "IN",
      stage: STAGE,
      connectedAt: c.connectedAt,
      requestTimeEpoch: now.getTime(),
      identity: { sourceIp: c.sourceIp, userAgent: c.userAgent },
      requestId: randomUUID(),
      domainName: c.domainName,
      connectionId: c.connectionId,
      apiId: "local",
      authorizer: c.authorizer,
      ...extra,
    };
  }

  function refuse(socket: Duplex, status: number, code: string, message: string) {
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on("error", () => socket.destroy());
    const url = new URL(req.url ?? "/", "http://local");
    if (url.pathname !== LOCAL_WEBSOCKET_PATH) return refuse(socket, 404, "ROUTE_NOT_FOUND", `No WebSocket endpoint at ${url.pathname}`);
    // The authorizer: no token, or one the HTTP API would refuse, never reaches a handler.
    const token = url.searchParams.get(TOKEN_QUERY_PARAMETER);
    let authorizer: Record<string, unknown>;
    try {
      if (!token) throw new Error("no token");
      const { payload, pool } = await options.issuer.verifyBearer(`Bearer ${token}`);
      authorizer = { principalId: String(payload.sub), ...authorizerContext(payload, pool), integrationLatency: 0 };
    } catch {
      return refuse(socket, 401, "UNAUTHORIZED", "Missing or invalid token");
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : String(v)]));
    const queryStringParameters = Object.fromEntries(url.searchParams);
    const connection: ConnectionInfo = {
      connectionId: newConnectionId(),
      connectedAt: Date.now(),
      sourceIp: (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
      userAgent: req.headers["user-agent"] ?? "",
      domainName: req.headers.host ?? "localhost",
      authorizer,
    };
    let status: number;
    try {
      const result = await invoke("$connect", {
        headers,
        multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
        queryStringParameters,
        multiValueQueryStringParameters: Object.fromEntries([...url.searchParams.keys()].map((k) => [k, url.searchParams.getAll(k)])),
        requestContext: requestContext(connection, "$connect", "CONNECT"),
        isBase64Encoded: false,
      });
      status = result.statusCode;
    } catch (error) {
      console.error("[local-ws] $connect failed:", error);
      return refuse(socket, 500, "INTERNAL", "Internal server error");
    }
    if (status < 200 || status > 299) return refuse(socket, status, status === 401 ? "UNAUTHORIZED" : "FORBIDDEN", "Connection refused");
    if (socket.destroyed) {
      // The client left while $connect ran: API Gateway would never open it.
      await disconnect(connection, 1006, "Client went away during $connect");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => opened(ws, connection));
  }

  function opened(socket: WebSocket, base: ConnectionInfo) {
    let closed!: () => void;
    const connection: Connection = {
      ...base,
      socket,
      lastActiveAt: Date.now(),
      timers: [],
      disconnected: new Promise<void>((done) => (closed = done)),
    };
    connections.set(connection.connectionId, connection);
    connection.timers.push(realSetTimeout(() => socket.close(1001, "Going away"), maxConnectionMs));
    const touch = () => {
      connection.lastActiveAt = Date.now();
      realClearTimeout(connection.idle);
      connection.idle = realSetTimeout(() => socket.close(1001, "Going away"), idleTimeoutMs);
    };
    touch();
    socket.on("message", (data: RawData, isBinary: boolean) => {
      touch();
      void onMessage(connection, data, isBinary);
    });
    socket.on("error", () => undefined);
    socket.on("close", (code: number, reason: Buffer) => {
      connections.delete(connection.connectionId);
      for (const timer of [...connection.timers, connection.idle]) realClearTimeout(timer);
      const done = disconnect(connection, code, reason.toString("utf8")).finally(() => {
        pendingDisconnects.delete(done);
        closed();
      });
      pendingDisconnects.add(done);
    });
  }

  /** API Gateway's route selection on `$request.body.action`. */
  function selectRoute(text: string): string {
    try {
      const action = (JSON.parse(text) as { action?: unknown } | null)?.action;
      if (typeof action === "string" && !action.startsWith("$") && routes.has(action)) return action;
    } catch {
      // not JSON: $default
    }
    return "$default";
  }

  async function onMessage(connection: Connection, data: RawData, isBinary: boolean): Promise<void> {
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const text = buffer.toString("utf8");
    const routeKey = isBinary ? "$default" : selectRoute(text);
    const context = requestContext(connection, routeKey, "MESSAGE", { messageId: randomBytes(8).toString("base64") });
    try {
      const result = await invoke(routeKey, {
        requestContext: context,
        body: isBinary ? buffer.toString("base64") : text,
        isBase64Encoded: isBinary,
      });
      if (routes.get(routeKey)?.replies && result.body) send(connection, result.body);
    } catch (error) {
      console.error(`[local-ws] ${routeKey} failed:`, error);
      send(connection, JSON.stringify({ message: "Internal server error", connectionId: connection.connectionId, requestId: context.requestId }));
    }
  }

  function send(connection: Connection, text: string) {
    if (connection.socket.readyState === connection.socket.OPEN) connection.socket.send(text);
  }

  async function disconnect(connection: ConnectionInfo, code: number, reason: string): Promise<void> {
    try {
      await invoke("$disconnect", {
        headers: {},
        requestContext: requestContext(connection, "$disconnect", "DISCONNECT", { disconnectStatusCode: code, disconnectReason: reason }),
        isBase64Encoded: false,
      });
    } catch (error) {
      console.error("[local-ws] $disconnect failed:", error);
    }
  }

  // ---- the management API

  function awsError(res: ServerResponse, status: number, type: string, message: string) {
    const body = JSON.stringify({ message });
    res.writeHead(status, { "content-type": "application/json", "x-amzn-errortype": type, "x-amzn-requestid": randomUUID(), "content-length": String(Buffer.byteLength(body)) });
    res.end(body);
  }

  async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size <= MAX_MESSAGE_BYTES) chunks.push(chunk as Buffer);
    }
    return size > MAX_MESSAGE_BYTES ? undefined : Buffer.concat(chunks);
  }

  const management: ExtraRoute = async (req, res) => {
    // The raw path: a connection id's `/` arrives as %2F and must stay one segment.
    const rawPath = (req.url ?? "/").split("?")[0]!.slice(LOCAL_MANAGEMENT_PREFIX.length);
    const match = /^\/@connections\/([^/]+)$/.exec(rawPath);
    if (!match) {
      req.resume();
      return awsError(res, 404, "NotFoundException", `No management operation at ${rawPath}`);
    }
    const connectionId = decodeURIComponent(match[1]!);
    const method = (req.method ?? "GET").toUpperCase();
    const body = method === "POST" ? await readBody(req) : (req.resume(), Buffer.alloc(0));
    const connection = connections.get(connectionId);
    if (!connection || connection.socket.readyState !== connection.socket.OPEN) {
      return awsError(res, 410, "GoneException", `Connection ${connectionId} is gone`);
    }
    const iso = (ms: number) => new Date(ms).toISOString();
    switch (method) {
      case "POST":
        if (!body) return awsError(res, 413, "PayloadTooLargeException", `Data exceeds ${MAX_MESSAGE_BYTES} bytes`);
        connection.socket.send(body.toString("utf8"));
        res.writeHead(200, { "x-amzn-requestid": randomUUID(), "content-length": "0" }).end();
        return;
      case "GET": {
        const text = JSON.stringify({
          ConnectedAt: iso(connection.connectedAt),
          Identity: { SourceIp: connection.sourceIp, UserAgent: connection.userAgent },
          LastActiveAt: iso(connection.lastActiveAt),
        });
        res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) }).end(text);
        return;
      }
      case "DELETE":
        connection.socket.close(1000, "Closed by the server");
        res.writeHead(204, { "x-amzn-requestid": randomUUID() }).end();
        return;
      default:
        return awsError(res, 405, "MethodNotAllowedException", `${method} is not a management operation`);
    }
  };

  return {
    attach(server) {
      server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        onUpgrade(req, socket, head).catch((error) => {
          console.error("[local-ws] upgrade failed:", error);
          socket.destroy();
        });
      });
    },
    prefixRoutes: { [LOCAL_MANAGEMENT_PREFIX]: management },
    connectionIds: () => [...connections.keys()],
    async close() {
      const open = [...connections.values()];
      for (const connection of open) connection.socket.close(1001, "Going away");
      // Sockets that do not finish the closing handshake in time are cut; their $disconnect runs too.
      const cut = realSetTimeout(() => open.forEach((c) => c.socket.terminate()), 2_000);
      await Promise.all(open.map((c) => c.disconnected));
      await Promise.all([...pendingDisconnects]);
      realClearTimeout(cut);
      await new Promise<void>((done) => wss.close(() => done()));
    },
  };
}
