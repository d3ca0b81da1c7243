import { ERROR_CODES, ErrorCode } from './error-code';

export interface GatewayErrorOptions {
  /** The request field at fault, for INVALID_REQUEST (`messages[0].role`). */
  param?: string;
  /** Seconds the caller should wait: becomes `Retry-After` and `retry_after`. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** The one error type of Breakwater; the exception filter renders it as the contract's JSON. */
export class GatewayError extends Error {
  readonly status: number;
  readonly type: string;
  readonly param?: string;
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.status = ERROR_CODES[code].status;
    this.type = ERROR_CODES[code].type;
    this.param = options.param;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  static invalid(param: string, message: string): GatewayError {
    return new GatewayError('INVALID_REQUEST', message, { param });
  }

  /** The same error, its `Retry-After` at most `seconds` (and `seconds` when it had none). */
  retryingWithin(seconds: number): GatewayError {
    return new GatewayError(this.code, this.message, {
      param: this.param,
      retryAfterSeconds: Math.min(this.retryAfterSeconds ?? seconds, seconds),
      cause: this.cause,
    });
  }
}
