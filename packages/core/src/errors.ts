/**
 * Typed domain errors. Thrown by core and handlers, mapped to HTTP in exactly one place
 * (functions/lib/errors.ts).
 */
export type ErrorDetails = Record<string, unknown> | unknown[];

export abstract class DomainError extends Error {
  abstract readonly status: number;
  constructor(
    readonly code: string,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request itself is malformed or fails validation. */
export class ValidationError extends DomainError {
  readonly status = 400;
  constructor(message: string, details?: ErrorDetails, code = "VALIDATION_FAILED") {
    super(code, message, details);
  }
}

/** 401: no valid credentials. */
export class UnauthorizedError extends DomainError {
  readonly status = 401;
  constructor(message = "Missing or invalid token", code = "UNAUTHORIZED") {
    super(code, message);
  }
}

/** 403: authenticated, but the role may not do this. */
export class ForbiddenError extends DomainError {
  readonly status = 403;
  constructor(message = "Your role may not do this", code = "FORBIDDEN", details?: ErrorDetails) {
    super(code, message, details);
  }
}

/** 404: unknown — or not yours, which we do not distinguish. */
export class NotFoundError extends DomainError {
  readonly status = 404;
  constructor(what: string, details?: ErrorDetails, code = "NOT_FOUND") {
    super(code, `${what} not found`, details);
  }
}

/** 409: the state changed under you (slot taken, version moved, overlapping booking). */
export class ConflictError extends DomainError {
  readonly status = 409;
  constructor(code: string, message: string, details?: ErrorDetails) {
    super(code, message, details);
  }
}

/** 422: well-formed, but a business rule says no (past, notice, horizon, boundary…). */
export class BusinessRuleError extends DomainError {
  readonly status = 422;
  constructor(code: string, message: string, details?: ErrorDetails) {
    super(code, message, details);
  }
}

/** 503: a service we depend on did not answer; nothing was kept, the client may retry. */
export class UnavailableError extends DomainError {
  readonly status = 503;
  constructor(code: string, message: string, details?: ErrorDetails) {
    super(code, message, details);
  }
}
