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
