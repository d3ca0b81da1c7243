import { CACHE_MODES, CacheMode, GatewayError, HEADER, HeaderRecord, headerOf } from '@breakwater/contracts';

/** What a request asks of the cache through its headers (contract: Request headers). */
export interface CacheDirectives {
  mode: CacheMode;
  /** `x-cache-ttl`: the TTL of the entry this request writes. */
  ttlSeconds?: number;
  /** `x-cache-key`: the caller's own key instead of the request hash. */
  customKey?: string;
}

export const MAX_CUSTOM_KEY_LENGTH = 256;
/** A year: longer is surely a mistake, and it keeps `PX` far from integer overflow. */
export const MAX_TTL_SECONDS = 365 * 24 * 3600;

const STRICTNESS: Record<CacheMode, number> = { default: 0, refresh: 1, bypass: 2 };
const POSITIVE_INTEGER = /^[1-9][0-9]*$/;

/**
 * Reads `x-cache-mode`, `Cache-Control`, `x-cache-ttl` and `x-cache-key`; a bad value is a 400 naming the
 * header. `Cache-Control: no-store` asks for bypass and `no-cache` for refresh (other directives are
 * ignored); when it and `x-cache-mode` disagree the stricter wins (bypass over refresh over default), so
 * no combination of headers can read an answer that one of them refused.
 */
export function cacheDirectivesOf(headers: HeaderRecord): CacheDirectives {
  let mode = modeOf(headerOf(headers, HEADER.cacheMode));
  const fromCacheControl = cacheControlModeOf(headerOf(headers, HEADER.cacheControl));
  if (STRICTNESS[fromCacheControl] > STRICTNESS[mode]) mode = fromCacheControl;
  const directives: CacheDirectives = { mode };
  const ttl = headerOf(headers, HEADER.cacheTtl);
  if (ttl !== undefined) directives.ttlSeconds = ttlOf(ttl);
  const customKey = headerOf(headers, HEADER.cacheKey);
  if (customKey !== undefined) directives.customKey = customKeyOf(customKey);
  return directives;
}

function modeOf(value: string | undefined): CacheMode {
  if (value === undefined) return 'default';
  const mode = value.trim().toLowerCase();
  if (!(CACHE_MODES as readonly string[]).includes(mode)) {
    throw GatewayError.invalid(HEADER.cacheMode, `x-cache-mode must be one of ${CACHE_MODES.join(', ')}`);
  }
  return mode as CacheMode;
}

function cacheControlModeOf(value: string | undefined): CacheMode {
  if (value === undefined) return 'default';
  let mode: CacheMode = 'default';
  for (const directive of value.split(',')) {
    const name = directive.split('=')[0].trim().toLowerCase();
    if (name === 'no-store') return 'bypass';
    if (name === 'no-cache') mode = 'refresh';
  }
  return mode;
}

function ttlOf(value: string): number {
  const text = value.trim();
  const seconds = POSITIVE_INTEGER.test(text) ? Number(text) : NaN;
  if (!(seconds <= MAX_TTL_SECONDS)) {
    throw GatewayError.invalid(
      HEADER.cacheTtl,
      `x-cache-ttl must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS}`,
    );
  }
  return seconds;
}

function customKeyOf(value: string): string {
  if (value.length === 0 || value.length > MAX_CUSTOM_KEY_LENGTH || value.trim().length === 0) {
    throw GatewayError.invalid(
      HEADER.cacheKey,
      `x-cache-key must be 1 to ${MAX_CUSTOM_KEY_LENGTH} characters, not only spaces`,
    );
  }
  return value;
}
