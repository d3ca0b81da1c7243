import { AppConfig, Environment, loadConfig } from '@breakwater/config';

/** A Redis URL where nothing listens (port 1 is never a Redis). */
export const UNREACHABLE_REDIS = 'redis://127.0.0.1:1';

/**
 * The configuration of a test: only `env` over the schema's defaults, never the process environment
 * or a `.env` file, and Redis unreachable unless `env` names one, so no test touches a developer's Redis.
 */
export function testConfig(env: Environment = {}): AppConfig {
  return loadConfig({ NODE_ENV: 'test', REDIS_URL: UNREACHABLE_REDIS, ...env });
}
