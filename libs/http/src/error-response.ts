import { HttpException } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, ErrorBody, ErrorCode, GatewayError } from '@breakwater/contracts';
import { requestLogFields } from '@breakwater/observability';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/**
 * Turns anything thrown into the contract's error: GatewayError as it is, HTTP errors by status (Nest
 * maps Fastify's own errors, such as bad JSON or a body over the limit, to HTTP errors), the rest as INTERNAL with a message that names nothing internal. `internal` is true for the last kind,
 * which the caller logs with its stack.
 */
export function toGatewayError(
  error: unknown,
  bodyLimit: number,
): { error: GatewayError; internal: boolean } {
  if (error instanceof GatewayError) return { error, internal: false };
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = CODE_BY_STATUS[status];
    if (status === 413) {
      return {
        error: new GatewayError(code, `request body exceeds MAX_BODY_BYTES (${bodyLimit} bytes)`),
        internal: false,
      };
    }
    if (code) return { error: new GatewayError(code, httpMessage(error)), internal: false };
    return { error: new GatewayError('INTERNAL', 'internal error'), internal: true };
  }
  return { error: new GatewayError('INTERNAL', 'internal error'), internal: true };
}

function httpMessage(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : error.message;
}

export function errorBody(error: GatewayError, requestId: string): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      type: ERROR_CODES[error.code].type,
      ...(error.param ? { param: error.param } : {}),
    },
    request_id: requestId,
    ...(error.retryAfterSeconds !== undefined ? { retry_after: error.retryAfterSeconds } : {}),
  };
}

/** Sends the contract's error JSON; the request's log line gets its code and the field it names. */
export function sendError(reply: FastifyReply, request: FastifyRequest, error: GatewayError): FastifyReply {
  const log = requestLogFields(request.raw);
  log.error_code = error.code;
  if (error.param) log.param = error.param;
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  return reply
    .status(error.status)
    .type('application/json; charset=utf-8')
    .send(errorBody(error, request.id));
}
