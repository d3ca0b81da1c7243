/**
 * The contract's header names, spelled once, in lower case as Node's `IncomingMessage` and fetch's
 * `Headers` hand them over.
 */
export const HEADER = {
  requestId: 'x-request-id',
  apiKey: 'x-api-key',
  processingMode: 'x-processing-mode',
  cacheMode: 'x-cache-mode',
  cacheControl: 'cache-control',
  cacheTtl: 'x-cache-ttl',
  cacheKey: 'x-cache-key',
  fallbackModels: 'x-fallback-models',
  endUser: 'x-end-user',
  callbackUrl: 'x-callback-url',
  idempotencyKey: 'idempotency-key',
  priority: 'x-priority',
  cache: 'x-cache',
  provider: 'x-provider',
  model: 'x-model',
  rateLimitLimit: 'x-ratelimit-limit',
  rateLimitRemaining: 'x-ratelimit-remaining',
  rateLimitReset: 'x-ratelimit-reset',
  retryAfter: 'retry-after',
  location: 'location',
} as const;

export type HeaderName = (typeof HEADER)[keyof typeof HEADER];

/** Request headers as Node parses them (`IncomingHttpHeaders` fits), without needing Node's types. */
export type HeaderRecord = Readonly<Record<string, string | string[] | undefined>>;

/**
 * The value of a request header, a repeated one joined with `, ` (RFC 9110, 5.3). Node already joins
 * repeats of these headers on the wire; joining here too means a header record built any other way
 * (an inject, a test, a proxy library) reads exactly as the same request over a socket would.
 */
export function headerOf(headers: HeaderRecord, name: HeaderName): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
