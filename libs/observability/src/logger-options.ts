import { LoggerOptions } from 'pino';

/**
 * Paths pino censors wherever they appear in a logged object: credentials of callers and providers.
 * Request headers are never logged at all (the request line names its fields); these catch errors and
 * objects logged by code.
 */
const REDACTED_PATHS = [
  'authorization',
  'apiKey',
  'api_key',
  'headers.authorization',
  'headers["x-api-key"]',
  'err.headers',
  'err.request',
  'err.config',
  'err.error',
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
