import {
  Caller,
  ChatCompletionRequest,
  EmbeddingRequest,
  ProviderId,
  ResponseFormat,
} from '@breakwater/contracts';
import { CacheDirectives } from './cache-directives';
import { cacheKeyOf, customCacheKeyOf, embeddingsCacheKeyOf } from './cache-key';

export type CacheStatus = 'HIT' | 'MISS' | 'BYPASS' | 'STALE';

/**
 * What the cache does for one request, decided before the provider step. Plain data, so it travels in a
 * queued job and a worker stores the job's answer exactly as the request would have.
 */
export interface CachePlan {
  /** Answer from an entry when one is fresh (and a stale one when the provider is unavailable). */
  read: boolean;
  /** Store the answer. */
  write: boolean;
  /** Coalesce with identical requests in flight (this process and other replicas). */
  shared: boolean;
  /** The full Redis key; absent when the request neither reads nor writes. */
  key?: string;
  ttlSeconds: number;
  /** Hits are checked against it like fresh answers (`json_object`, `json_schema`). */
  responseFormat?: ResponseFormat;
  provider: ProviderId;
  model: string;
}

export interface CachePlanDefaults {
  ttlSeconds: number;
}

/**
 * The cache policy of one request. A caller whose `cache.enabled` is false gets a plan that reads,
 * writes and shares nothing, decided here before any header is looked at: there is no key to find an
 * entry by and no flight to join, so no header, custom key or concurrent twin can hand it a reused
 * answer. (Variance-sensitive callers, such as an LLM judge, depend on that: every answer is a new sample.)
 * `bypass` and `refresh` never share either: each asked for its own provider call.
 */
export function planCache(
  caller: Caller,
  request: ChatCompletionRequest,
  route: { provider: ProviderId; model: string },
  directives: CacheDirectives,
  defaults: CachePlanDefaults,
): CachePlan {
  const responseFormat =
    request.response_format && request.response_format.type !== 'text' ? request.response_format : undefined;
  const keyOf = (namespace: string) => cacheKeyOf(namespace, route.provider, route.model, request);
  return planned(caller, route, directives, defaults, keyOf, responseFormat);
}

/** The cache policy of one embeddings request: the same rules as `planCache`, under an embeddings key. */
export function planEmbeddingsCache(
  caller: Caller,
  request: EmbeddingRequest,
  route: { provider: ProviderId; model: string },
  directives: CacheDirectives,
  defaults: CachePlanDefaults,
): CachePlan {
  const keyOf = (namespace: string) => embeddingsCacheKeyOf(namespace, route.provider, route.model, request);
  return planned(caller, route, directives, defaults, keyOf);
}

/** `keyOf` is only called for a caller whose cache is on: a request that neither reads nor writes hashes nothing. */
function planned(
  caller: Caller,
  route: { provider: ProviderId; model: string },
  directives: CacheDirectives,
  defaults: CachePlanDefaults,
  keyOf: (namespace: string) => string,
  responseFormat?: ResponseFormat,
): CachePlan {
  const ttlSeconds = directives.ttlSeconds ?? caller.cache.ttl_seconds ?? defaults.ttlSeconds;
  const base = { ttlSeconds, provider: route.provider, model: route.model };
  if (!caller.cache.enabled || directives.mode === 'bypass') {
    return { read: false, write: false, shared: false, ...base };
  }
  const namespace = caller.cache.namespace;
  const key =
    directives.customKey !== undefined ? customCacheKeyOf(namespace, directives.customKey) : keyOf(namespace);
  const read = directives.mode === 'default';
  return { read, write: true, shared: read, key, responseFormat, ...base };
}

/**
 * The `x-cache` of a request before (or without) an answer, e.g. on an error: MISS when the cache took
 * part (a refresh writes, so its fresh answer is a MISS too), BYPASS when it did not.
 */
export function plannedStatusOf(plan: CachePlan): CacheStatus {
  return plan.read || plan.write ? 'MISS' : 'BYPASS';
}
