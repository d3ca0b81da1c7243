// The response cache: canonical keys, an in-process LRU in front of Redis, single flight for identical
// misses, stale-if-error, and invalidation of every replica's first tier through pub/sub.
export * from './cache-directives';
export * from './cache-entry';
export { CACHE_KEY_PREFIX, cacheKeyOf, customCacheKeyOf } from './cache-key';
export * from './cache-plan';
export * from './cache-selector';
export * from './cache.module';
export * from './response-cache';
export { lockKeyOf } from './second-tier';
