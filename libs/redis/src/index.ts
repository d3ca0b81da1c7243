// Redis connections: a fail-fast client for the request path (a command never waits for a reconnect)
// that tracks whether Redis is up, so every lib can fall back to embedded mode while it is not.
export * from './redis-connections';
export * from './redis.module';
