import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Reads the raw string (`obj[key]`): implicit conversion would have made "false" true already. */
function toBoolean({ obj, key }: { obj: Record<string, unknown>; key: string }): unknown {
  const value = obj[key];
  if (typeof value !== 'string') return value;
  const text = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no'].includes(text)) return false;
  return value;
}

/** The message of a gateway-wide limit that is not a whole number: what to write instead. */
const WHOLE = (name: string, unit: string) =>
  `${name} must be a whole number of ${unit}, 0 for no limit (e.g. ${name}=100)`;
const USD = (name: string) => `${name} must be a number of US dollars, 0 for no limit (e.g. ${name}=100)`;

const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** The OTLP protocols whose exporters are installed (OpenTelemetry's names); grpc is not. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/**
 * Every environment variable of the contract with its default. Defaults live here and nowhere else.
 * Provider variables (`<P>_API_KEY`, `<P>_BASE_URL`, `<P>_RPM`) are validated by ProviderEnvironment.
 */
export class EnvironmentSchema {
  @IsInt() @Min(1) @Max(65535) PORT: number = 3000;
  @IsInt() @Min(1) @Max(65535) WORKER_PORT: number = 3001;
  /** Unset: 0.0.0.0, or 127.0.0.1 while the development caller is active (loadConfig decides). */
  @IsOptional() @IsString() @MaxLength(255) HOST?: string;
  @IsNumber() @Min(0) @Max(300) SHUTDOWN_DRAIN_SECONDS: number = 5;
  @IsIn(LOG_LEVELS) LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';
  @IsString() NODE_ENV: string = 'development';
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must start with redis:// or rediss://' })
  REDIS_URL: string = 'redis://127.0.0.1:6379';
  /** Seed nodes of a Redis Cluster (`host:port,host:port`); REDIS_URL then gives only credentials and TLS. */
  @IsOptional() @IsString() @MaxLength(4096) REDIS_CLUSTER_NODES?: string;
  /** Sentinels (`host:port,...`) that name the primary REDIS_SENTINEL_NAME; REDIS_URL then gives credentials, db and TLS. */
  @IsOptional() @IsString() @MaxLength(4096) REDIS_SENTINELS?: string;
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,128}$/, {
    message: "REDIS_SENTINEL_NAME must be the monitored primary's name, e.g. mymaster",
  })
  REDIS_SENTINEL_NAME?: string;
  @Transform(toBoolean) @IsBoolean() RUN_WORKERS: boolean = true;
  @IsInt() @Min(1) @Max(1000) WORKER_CONCURRENCY: number = 10;
  @IsOptional() @IsString() CALLERS_FILE?: string;
  /** Unset: a bare model name is routed by its prefix (ModelRouter). */
  @IsOptional()
  @Matches(/^[a-z]+\/.+$/, { message: 'DEFAULT_MODEL must be provider/model, e.g. mock/echo' })
  DEFAULT_MODEL?: string;
  @IsInt() @Min(1) CACHE_TTL_SECONDS: number = 3600;
  @IsInt() @Min(0) CACHE_L1_MAX_ENTRIES: number = 10000;
  @IsInt() @Min(0) CACHE_STALE_IF_ERROR_SECONDS: number = 0;
  @IsInt() @Min(0) RATE_LIMIT_PER_MINUTE: number = 500;
  @IsInt() @Min(0) GLOBAL_RATE_LIMIT_PER_MINUTE: number = 0;
  @IsInt({ message: WHOLE('GLOBAL_RATE_LIMIT_PER_HOUR', 'requests per hour') })
  @Min(0, { message: WHOLE('GLOBAL_RATE_LIMIT_PER_HOUR', 'requests per hour') })
  GLOBAL_RATE_LIMIT_PER_HOUR: number = 0;
  @IsInt({ message: WHOLE('GLOBAL_CONCURRENCY', 'requests in flight') })
  @Min(0, { message: WHOLE('GLOBAL_CONCURRENCY', 'requests in flight') })
  GLOBAL_CONCURRENCY: number = 0;
  @IsInt({ message: WHOLE('GLOBAL_TOKENS_PER_DAY', 'tokens per UTC day') })
  @Min(0, { message: WHOLE('GLOBAL_TOKENS_PER_DAY', 'tokens per UTC day') })
  GLOBAL_TOKENS_PER_DAY: number = 0;
  @IsNumber({}, { message: USD('GLOBAL_COST_USD_PER_DAY') })
  @Min(0, { message: USD('GLOBAL_COST_USD_PER_DAY') })
  GLOBAL_COST_USD_PER_DAY: number = 0;
  @IsNumber() @Min(0.001) LLM_TIMEOUT_SECONDS: number = 15;
  @IsNumber() @Min(0.001) REQUEST_TIMEOUT_SECONDS: number = 20;
  @IsInt() @Min(1) @Max(20) RETRY_MAX_ATTEMPTS: number = 3;
  @IsInt() @Min(0) RETRY_BASE_DELAY_MS: number = 2000;
  @IsNumber() @Min(1) @Max(100) BREAKER_ERROR_THRESHOLD_PERCENT: number = 50;
  @IsInt() @Min(1) BREAKER_VOLUME_THRESHOLD: number = 5;
  @IsNumber() @Min(0.001) BREAKER_RESET_TIMEOUT_SECONDS: number = 30;
  @IsInt() @Min(1) IMMEDIATE_RETRY_AFTER_SECONDS: number = 2;
  @IsInt() @Min(1) QUEUE_MAX_SIZE: number = 1000;
  @IsNumber() @Min(0.01) @Max(1) QUEUE_HIGH_WATERMARK: number = 0.8;
  @IsNumber() @Min(0) @Max(1) QUEUE_LOW_WATERMARK: number = 0.6;
  @IsInt() @Min(1) QUEUE_REQUEST_TTL_SECONDS: number = 14400;
  @IsInt() @Min(0) QUEUE_MAX_RETRIES: number = 3;
  @IsInt() @Min(1) QUEUE_RESULT_RETENTION_SECONDS: number = 86400;
  @IsString() WEBHOOK_ALLOWED_HOSTS: string = '';
  @IsInt() @Min(1024) MAX_BODY_BYTES: number = 1048576;
  @IsInt() @Min(2) @Max(1000) MAX_JSON_DEPTH: number = 64;
  @IsInt() @Min(256) @Max(16777216) MAX_SCHEMA_BYTES: number = 65536;
  @IsInt() @Min(0) CACHE_L1_MAX_BYTES: number = 67108864;
  @IsInt() @Min(1024) CACHE_MAX_ENTRY_BYTES: number = 1048576;
  @IsOptional() @IsString() PRICING_FILE?: string;
  @IsOptional() @IsString() @MaxLength(4096) MODELS_FILE?: string;
  @IsOptional() @IsUrl(URL_OPTIONS) OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  @IsOptional() @IsUrl(URL_OPTIONS) OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  @IsIn(OTLP_PROTOCOLS) OTEL_EXPORTER_OTLP_PROTOCOL: OtlpProtocol = 'http/protobuf';
  @IsOptional() @IsIn(OTLP_PROTOCOLS) OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: OtlpProtocol;
  @Transform(toBoolean) @IsBoolean() OTEL_SDK_DISABLED: boolean = false;
  @IsOptional() @IsUrl(URL_OPTIONS) OPENROUTER_HTTP_REFERER?: string;
  @IsString() @MaxLength(128) OPENROUTER_APP_TITLE: string = 'Breakwater';
  /** Unset: on outside production, off in production (loadConfig decides). */
  @IsOptional() @Transform(toBoolean) @IsBoolean() MOCK_PROVIDER_ENABLED?: boolean;
  @IsInt() @Min(0) MOCK_LATENCY_MS: number = 0;
  @IsNumber() @Min(0) @Max(1) MOCK_FAILURE_RATE: number = 0;
  /** Unset: recording off and the replay provider unconfigured; loadConfig checks it is a writable directory. */
  @IsOptional() @IsString() @MaxLength(4096) RECORD_DIR?: string;
}

/** `<P>_API_KEY`, `<P>_BASE_URL` and `<P>_RPM` of one provider. */
export class ProviderEnvironment {
  @IsOptional() @IsString() @MaxLength(4096) API_KEY?: string;
  @IsOptional() @IsUrl(URL_OPTIONS) BASE_URL?: string;
  @IsInt() @Min(0) RPM: number = 0;
}
