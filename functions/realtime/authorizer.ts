/**
 * The WebSocket API's `$connect` authorizer (a REQUEST authorizer, identity source
 * `route.request.querystring.token`): the token a browser passes as `?token=` is verified
 * exactly as the HTTP API's authorizer verifies a bearer token (functions/auth/authorizer.ts
 * `createTokenVerifier`: either pool, signature, client, expiry, groups), and the connection
 * gets the same caller context. Unlike the HTTP API's, it checks no CloudFront origin header:
 * clients reach the WebSocket API directly, nothing stands in front of it.
 *
 * WebSocket APIs take IAM-policy answers only (no simple responses): Allow on the `$connect`
 * method of this connection with the context, or Deny — API Gateway then refuses the upgrade
 * with 403 (and with 401, without calling this, when the query string has no token).
 */
import type { APIGatewayAuthorizerResult, APIGatewayAuthorizerWithContextResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { createTokenVerifier, poolsFromEnv, type TokenVerifierConfig } from "../auth/authorizer";
import type { AuthorizerContext } from "../lib/authorizer-context";
import { logger } from "../lib/logger";
import { TOKEN_QUERY_PARAMETER } from "./index";

export type ConnectAuthorizerResult = APIGatewayAuthorizerWithContextResult<AuthorizerContext & Record<string, string>> | APIGatewayAuthorizerResult;

function policy(effect: "Allow" | "Deny", principalId: string, methodArn: string) {
  return {
    principalId,
    policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: methodArn }] },
  };
}

export function createConnectAuthorizer(config: TokenVerifierConfig) {
  const verifyToken = createTokenVerifier(config);
  return async function authorize(event: APIGatewayRequestAuthorizerEvent): Promise<ConnectAuthorizerResult> {
    const token = event.queryStringParameters?.[TOKEN_QUERY_PARAMETER];
    const context = token ? await verifyToken(token) : undefined;
    if (!context) return policy("Deny", "anonymous", event.methodArn);
    return { ...policy("Allow", context.sub, event.methodArn), context: { ...context } };
  };
}

let fromEnv: ReturnType<typeof createConnectAuthorizer> | undefined;

export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<ConnectAuthorizerResult> {
  try {
    // As the HTTP API's: created on the first request, so missing configuration is a deny.
    fromEnv ??= createConnectAuthorizer({ pools: poolsFromEnv(process.env) });
  } catch (error) {
    logger.error("Authorizer is not configured", { error: error instanceof Error ? error.message : String(error) });
    return policy("Deny", "anonymous", event.methodArn);
  }
  return fromEnv(event);
}
