/**
 * The contract's error codes, spelled once: HTTP status and OpenAI-style error type for each.
 * Add codes here; never pass a loose string as a code.
 */
export const ERROR_CODES = {
  INVALID_REQUEST: { status: 400, type: 'invalid_request_error' },
  UNAUTHORIZED: { status: 401, type: 'authentication_error' },
  FORBIDDEN: { status: 403, type: 'permission_error' },
  NOT_FOUND: { status: 404, type: 'not_found_error' },
  CONFLICT: { status: 409, type: 'invalid_request_error' },
  EXPIRED: { status: 410, type: 'not_found_error' },
  PAYLOAD_TOO_LARGE: { status: 413, type: 'invalid_request_error' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, type: 'invalid_request_error' },
  RATE_LIMITED: { status: 429, type: 'rate_limit_error' },
  BUDGET_EXCEEDED: { status: 429, type: 'insufficient_quota' },
  PROVIDER_NOT_CONFIGURED: { status: 400, type: 'invalid_request_error' },
  PROVIDER_ERROR: { status: 502, type: 'api_error' },
  PROVIDER_UNAVAILABLE: { status: 503, type: 'service_unavailable' },
  QUEUE_FULL: { status: 503, type: 'service_unavailable' },
  STORE_UNAVAILABLE: { status: 503, type: 'service_unavailable' },
  INTERNAL: { status: 500, type: 'api_error' },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The contract's error body. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; type: string; param?: string };
  request_id: string;
  retry_after?: number;
}
