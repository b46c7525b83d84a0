import {
  IdempotencyAlreadyInProgressError,
  IdempotencyValidationError,
} from "@aws-lambda-powertools/idempotency";
import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyResultV2 } from "aws-lambda";
import { DomainError } from "@carebook/core/errors";
import { logger } from "./logger";

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorResponse(status: number, code: string, message: string, details?: unknown) {
  const body: ErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
  return {
    statusCode: status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  } satisfies APIGatewayProxyResultV2;
}

/** The one place errors become HTTP responses. Anything unknown is a bug: logged, 500. */
export function toErrorResponse(error: unknown) {
  if (error instanceof DomainError) {
    return errorResponse(error.status, error.code, error.message, error.details);
  }
  if (error instanceof IdempotencyValidationError) {
    return errorResponse(
      422,
      "IDEMPOTENCY_KEY_REUSED",
      "This Idempotency-Key was already used with a different request body",
    );
  }
  if (error instanceof IdempotencyAlreadyInProgressError) {
    return errorResponse(409, "REQUEST_IN_PROGRESS", "A request with this Idempotency-Key is still being processed");
  }
  if ((error as Error)?.name === "TimeoutError") {
    // middy answers just before Lambda's timeout; the client may retry (with its Idempotency-Key).
    logger.error("handler timed out", error as Error);
    return { ...errorResponse(503, "TIMEOUT", "The request took too long; try again"), headers: { "content-type": "application/json", "retry-after": "1" } };
  }
  logger.error("unhandled error", error as Error);
  return errorResponse(500, "INTERNAL", "Internal server error");
}

export const errorMapper = (): MiddlewareObj => ({
  onError: async (request) => {
    request.response = toErrorResponse(request.error);
  },
});
