/**
 * How a provider failure should be treated, decided by the adapter that understands the provider:
 * - transient: worth retrying (timeouts, connection errors, 408, 409, 5xx, Anthropic's 529 overloaded)
 * - rate_limited: worth retrying after `retryAfterMs` (429)
 * - auth, bad_request: permanent (401, 403; 400, 404, 422); retrying cannot help
 */
export type ProviderFailureKind = 'transient' | 'rate_limited' | 'auth' | 'bad_request';

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderFailureKind,
    message: string,
    readonly options: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  get retryable(): boolean {
    return this.kind === 'transient' || this.kind === 'rate_limited';
  }
}

type HeaderSource =
  { get(name: string): string | null } | Record<string, string | string[] | undefined> | undefined;

function header(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `retry-after-ms`, or `Retry-After` in seconds or as an HTTP date, in milliseconds. */
export function retryAfterMs(headers: HeaderSource, now = Date.now()): number | undefined {
  const ms = Number(header(headers, 'retry-after-ms'));
  if (Number.isFinite(ms) && ms >= 0 && header(headers, 'retry-after-ms') !== undefined) return ms;
  const value = header(headers, 'retry-after');
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Sorts an HTTP failure of any provider by its status (the contract's classification). */
export function providerErrorFromStatus(
  status: number,
  message: string,
  headers?: HeaderSource,
  cause?: unknown,
): ProviderError {
  const text = `${status} ${message}`.trim();
  if (status === 429)
    return new ProviderError('rate_limited', text, { status, retryAfterMs: retryAfterMs(headers), cause });
  if (status === 401 || status === 403) return new ProviderError('auth', text, { status, cause });
  if (status === 408 || status === 409 || status >= 500) {
    return new ProviderError('transient', text, { status, retryAfterMs: retryAfterMs(headers), cause });
  }
  return new ProviderError('bad_request', text, { status, cause });
}
