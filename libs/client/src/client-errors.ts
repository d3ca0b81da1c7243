import type { ErrorCode, JobStatusBody } from '@breakwater/contracts';

/**
 * The gateway's codes, plus two of the client's own: `UNEXPECTED_RESPONSE` (an answer that is not the
 * contract's, e.g. a proxy's HTML page) and `POLL_TIMEOUT`. `string & {}` keeps codes added by a newer
 * gateway representable without losing the editor's completion of the known ones.
 */
export type BreakwaterErrorCode = ErrorCode | 'UNEXPECTED_RESPONSE' | 'POLL_TIMEOUT' | (string & {});

export interface BreakwaterErrorInit {
  /** HTTP status of the answer (202 for PollTimeoutError: the job was still pending). */
  status: number;
  code: BreakwaterErrorCode;
  /** The gateway's `request_id`, to find the request in its logs. */
  requestId?: string;
  /** Seconds the gateway asked to wait (`Retry-After` / `retry_after`). */
  retryAfterSeconds?: number;
  /** OpenAI-style error type (`invalid_request_error`, ...). */
  type?: string;
  /** The request field at fault, on INVALID_REQUEST. */
  param?: string;
  cause?: unknown;
}

/** Any refusal or failure the gateway reported; the subclasses are the ones worth catching apart. */
export class BreakwaterError extends Error {
  readonly status: number;
  readonly code: BreakwaterErrorCode;
  readonly requestId?: string;
  readonly retryAfterSeconds?: number;
  readonly type?: string;
  readonly param?: string;

  constructor(message: string, init: BreakwaterErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'BreakwaterError';
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.type = init.type;
    this.param = init.param;
  }
}

/** 429 (RATE_LIMITED or BUDGET_EXCEEDED): `retryAfterSeconds` says when trying again can succeed. */
export class RateLimitedError extends BreakwaterError {
  constructor(message: string, init: BreakwaterErrorInit) {
    super(message, init);
    this.name = 'RateLimitedError';
  }
}

/** A queued request failed for good (`/v1/results` answered 502): the provider rejected it. */
export class JobFailedError extends BreakwaterError {
  constructor(
    readonly queueId: string,
    message: string,
    init: BreakwaterErrorInit,
  ) {
    super(message, init);
    this.name = 'JobFailedError';
  }
}

/** A queued request outlived the gateway's QUEUE_REQUEST_TTL_SECONDS unanswered (`/v1/results` answered 410). */
export class JobExpiredError extends BreakwaterError {
  constructor(
    readonly queueId: string,
    message: string,
    init: BreakwaterErrorInit,
  ) {
    super(message, init);
    this.name = 'JobExpiredError';
  }
}

export interface PollTimeoutInit {
  queueId: string;
  /** `timeout`: the poll policy's timeoutMs ran out (or a Retry-After reached past it); `max_attempts`: maxAttempts looks. */
  reason: 'timeout' | 'max_attempts';
  /** Looks made at the result. */
  attempts: number;
  elapsedMs: number;
  /** The job as the last look saw it, when a look was made. */
  lastStatus?: JobStatusBody;
  requestId?: string;
  retryAfterSeconds?: number;
}

/**
 * The client stopped waiting; the job did not stop. It is still queued or processing under `queueId`,
 * so the caller can `wait(queueId)` or `result(queueId)` later, from this process or another.
 */
export class PollTimeoutError extends BreakwaterError {
  readonly queueId: string;
  readonly reason: 'timeout' | 'max_attempts';
  readonly attempts: number;
  readonly elapsedMs: number;
  readonly lastStatus?: JobStatusBody;

  constructor(init: PollTimeoutInit) {
    const state = init.lastStatus?.status ?? 'queued';
    const why = init.reason === 'timeout' ? 'the poll timeout ran out' : 'the poll attempts ran out';
    super(
      `queued request ${init.queueId} is still ${state} after ${init.attempts} look(s) in ${init.elapsedMs} ms ` +
        `(${why}); wait for it again with its queue id`,
      {
        status: 202,
        code: 'POLL_TIMEOUT',
        requestId: init.requestId,
        retryAfterSeconds: init.retryAfterSeconds,
      },
    );
    this.name = 'PollTimeoutError';
    this.queueId = init.queueId;
    this.reason = init.reason;
    this.attempts = init.attempts;
    this.elapsedMs = init.elapsedMs;
    this.lastStatus = init.lastStatus;
  }
}
