// Redis connections: a fail-fast client for the request path (a command never waits for a reconnect)
// that tracks whether Redis is up, and `sharedOr`, the one rule by which every lib falls back to embedded
// mode while it is not; the one REDIS_URL parser; and the loader that defines each lib's Lua files as commands.
export * from './connection-error';
export * from './per-slot';
export * from './redis-client';
export * from './redis-connections';
export * from './redis-scripts';
export * from './redis-url';
export * from './redis.module';
