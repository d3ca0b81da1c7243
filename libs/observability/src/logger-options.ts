import { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerOptions } from 'pino';
import { Options as PinoHttpOptions } from 'pino-http';
import { requestLogFields } from './request-log';

/**
 * Paths pino censors wherever they appear in a logged object: credentials of callers and providers.
 * Request headers are never logged at all (see requestLine); these catch errors and objects logged by code.
 */
export const REDACTED_PATHS = [
  'authorization',
  'apiKey',
  'api_key',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["api-key"]',
  'headers["x-goog-api-key"]',
  '*.authorization',
  '*.apiKey',
  '*.api_key',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  '*.headers["api-key"]',
  '*.headers["x-goog-api-key"]',
  'err.headers',
  'err.request',
  'err.config',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    messageKey: 'msg',
    base: undefined,
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}

/** The contract's one line per request: request_id (from the child binding), caller, method, route, status, duration_ms and the LLM fields. */
function requestLine(req: IncomingMessage, res: ServerResponse, durationMs: number): Record<string, unknown> {
  return {
    method: req.method,
    status: res.statusCode,
    duration_ms: durationMs,
    ...requestLogFields(req),
  };
}

export function pinoHttpOptions(level: string): PinoHttpOptions {
  return {
    ...loggerOptions(level),
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: 'request_id' },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
    customSuccessObject: (req, res, value: { responseTime: number }) =>
      requestLine(req, res, value.responseTime),
    customErrorObject: (req, res, err, value: { responseTime: number }) => ({
      ...requestLine(req, res, value.responseTime),
      err,
    }),
  };
}
