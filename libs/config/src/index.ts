// Configuration read once at start-up: the environment schema (class-validator), the callers file,
// and the typed AppConfig every other lib receives. The only code that reads process.env.
export * from './app-config';
export * from './config.error';
export * from './config.module';
export { EnvironmentSchema, ProviderEnvironment } from './environment.schema';
export * from './load-config';
export * from './model-glob';
export type { RedisEndpoint, RedisTarget } from './redis-target';
export { OTLP_PROTOCOLS, type OtlpProtocol } from './environment.schema';
export { sha256Hex } from './callers-loader';
export * from './validation-errors';
