/**
 * What the WebSocket API's Lambdas share: the connection an event is about, the middy stack
 * (logger context with the connection and route), answers as route responses, and the
 * management API client that pushes messages to connections.
 *
 * Answers: the `subscribe`, `unsubscribe` and `$default` routes have a route response, so the
 * body a handler returns is sent to the client as one message (no PostToConnection, so the
 * route Lambdas need no execute-api:ManageConnections).
 */
import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyResult, Context } from "aws-lambda";
import type { ServerMessage } from "@carebook/core/realtime/messages";
import { REALTIME_ENDPOINT_ENV } from "../realtime/index";
import { logger } from "./logger";

/** The fields of an API Gateway WebSocket event the handlers read. */
export interface WebSocketEvent {
  requestContext: {
    connectionId: string;
    routeKey: string;
    eventType?: "CONNECT" | "MESSAGE" | "DISCONNECT";
    authorizer?: unknown;
  };
  body?: string | null;
  isBase64Encoded?: boolean;
}

export type WebSocketResult = APIGatewayProxyResult;

/** A route's Lambda: logs carry the connection id and route key; a throw is logged and rethrown
 * (API Gateway then answers the client `{"message":"Internal server error",…}`). */
export function websocketHandler(fn: (event: WebSocketEvent, context: Context) => Promise<WebSocketResult>) {
  return middy(async (event: WebSocketEvent, context: Context) => {
    const { connectionId, routeKey } = event.requestContext;
    logger.appendKeys({ connectionId, routeKey });
    try {
      return await fn(event, context);
    } catch (error) {
      logger.error("websocket route failed", error as Error);
      throw error;
    } finally {
      logger.removeKeys(["connectionId", "routeKey"]);
    }
  }).use(injectLambdaContext(logger));
}

/** A route's answer: the message to the client (with a route response), or just the status. */
export function reply(message?: ServerMessage, statusCode = 200): WebSocketResult {
  return { statusCode, body: message === undefined ? "" : JSON.stringify(message) };
}

/** The text a client sent (API Gateway base64-encodes binary frames). */
export function messageText(event: WebSocketEvent): string | undefined {
  if (event.body === undefined || event.body === null) return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
}

let client: ApiGatewayManagementApiClient | undefined;

function managementEndpoint(): string {
  const endpoint = process.env[REALTIME_ENDPOINT_ENV];
  if (!endpoint) throw new Error(`${REALTIME_ENDPOINT_ENV} is not set`);
  return endpoint;
}

/** A loopback endpoint is the local runtime's stand-in, which checks no signature. */
function isLocal(endpoint: string): boolean {
  return ["127.0.0.1", "localhost", "[::1]"].includes(new URL(endpoint).hostname);
}

/** One management API client per container, on REALTIME_ENDPOINT_ENV. */
export function managementApi(): ApiGatewayManagementApiClient {
  if (!client) {
    const endpoint = managementEndpoint();
    client = new ApiGatewayManagementApiClient(
      isLocal(endpoint) ? { endpoint, region: "local", credentials: { accessKeyId: "local", secretAccessKey: "local" } } : { endpoint },
    );
  }
  return client;
}

/** Posts one message to a connection: "gone" when API Gateway no longer knows it (410). */
export async function postToConnection(connectionId: string, data: string): Promise<"sent" | "gone"> {
  try {
    await managementApi().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
    return "sent";
  } catch (error) {
    if (error instanceof GoneException || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410) return "gone";
    throw error;
  }
}
