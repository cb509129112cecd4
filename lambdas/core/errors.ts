/**
 * The one error hierarchy of Herald. Each error carries its HTTP status and machine code; the API's
 * error middleware is the only place that maps them to responses. Only errors with a status below
 * 500 expose their message; anything else becomes a generic 500/503 without a stack trace.
 */
export interface ErrorDetail {
  /** JSON-pointer-like path of the offending field, e.g. `retryPolicy.maxAttempts`; empty for the whole body. */
  readonly path: string;
  readonly message: string;
}

export class HeraldError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** Whether the message may be shown to the client. */
  get expose(): boolean {
    return this.status < 500;
  }
}

export class ValidationError extends HeraldError {
  constructor(message: string, details: readonly ErrorDetail[] = []) {
    super(400, 'validation_failed', message, details);
  }
}

export class MalformedJsonError extends HeraldError {
  constructor(message = 'request body is not valid JSON') {
    super(400, 'malformed_json', message);
  }
}

export class UnsupportedMediaTypeError extends HeraldError {
  constructor(message = 'content-type must be application/json') {
    super(415, 'unsupported_media_type', message);
  }
}

export class PayloadTooLargeError extends HeraldError {
  /** `message` replaces the body-size wording (e.g. for a body within the limit whose stored form is not). */
  constructor(limitBytes: number, message?: string) {
    super(413, 'payload_too_large', message ?? `request body is larger than ${limitBytes} bytes`);
  }
}

export class UnauthorizedError extends HeraldError {
  constructor() {
    super(401, 'unauthorized', 'missing or invalid API key');
  }
}

/** The principal is known but may not do this: the message names the scope it lacks (and the tenant, if that is all). */
export class ForbiddenError extends HeraldError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

export class NotFoundError extends HeraldError {
  constructor(what: string) {
    super(404, 'not_found', `${what} not found`);
  }
}

export class MethodNotAllowedError extends HeraldError {
  constructor(method: string, path: string) {
    super(405, 'method_not_allowed', `${method} is not allowed on ${path}`);
  }
}

export class ConflictError extends HeraldError {
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}

/** A dependency (DynamoDB, SQS, ...) failed; the client should retry (with the same Idempotency-Key). */
export class UnavailableError extends HeraldError {
  constructor(message = 'Herald could not store the request; retry with the same Idempotency-Key') {
    super(503, 'unavailable', message);
  }

  override get expose(): boolean {
    return true;
  }
}
