import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ProcessingMode, REMOTE_PROVIDER_IDS, RemoteProviderId } from '@breakwater/contracts';
import { AppConfig, CallerPriority, ProviderSettings } from './app-config';
import { ConfiguredCaller, devCaller, loadCallersFile } from './callers-loader';
import { ConfigError } from './config.error';
import { EnvironmentSchema, ProviderEnvironment } from './environment.schema';
import { ModelAllowList } from './model-glob';
import { loadModelsFile } from './models-loader';
import { redisTarget } from './redis-target';
import { loadPricingFile } from './pricing-loader';
import { assertNoPublishedKeys } from './published-keys';
import { flattenValidationErrors } from './validation-errors';

export type Environment = Record<string, string | undefined>;

/**
 * The process environment, over the values of a `.env` file in the working directory if there is one
 * (the real environment wins).
 */
function processEnvironment(): Environment {
  const file = '.env';
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

/** Validates the environment and builds the typed configuration; throws ConfigError naming the variable. */
export function loadConfig(environment: Environment = processEnvironment()): AppConfig {
  const env = validated(EnvironmentSchema, withoutBlanks(environment), '');
  if (env.QUEUE_LOW_WATERMARK >= env.QUEUE_HIGH_WATERMARK) {
    throw new ConfigError('QUEUE_LOW_WATERMARK must be below QUEUE_HIGH_WATERMARK');
  }
  const production = env.NODE_ENV === 'production';
  const callers = env.CALLERS_FILE ? loadCallersFile(env.CALLERS_FILE) : undefined;
  const modelsFile = env.MODELS_FILE ? loadModelsFile(env.MODELS_FILE) : undefined;
  if (production) {
    if (!callers) {
      throw new ConfigError(
        'CALLERS_FILE is required when NODE_ENV=production: the gateway will not start open',
      );
    }
    assertNoPublishedKeys(callers, `CALLERS_FILE ${env.CALLERS_FILE}`);
  }
  return {
    env: { nodeEnv: env.NODE_ENV, production },
    http: {
      port: env.PORT,
      workerPort: env.WORKER_PORT,
      host: env.HOST ?? (callers ? '0.0.0.0' : '127.0.0.1'),
      maxBodyBytes: env.MAX_BODY_BYTES,
      maxJsonDepth: env.MAX_JSON_DEPTH,
      shutdownDrainMs: Math.round(env.SHUTDOWN_DRAIN_SECONDS * 1000),
    },
    schemas: { maxBytes: env.MAX_SCHEMA_BYTES },
    pricing: {
      file: env.PRICING_FILE,
      models: env.PRICING_FILE ? loadPricingFile(env.PRICING_FILE) : {},
      aliasPrices: modelsFile?.prices ?? {},
    },
    log: { level: env.LOG_LEVEL },
    redis: redisTarget(env),
    workers: { run: env.RUN_WORKERS, concurrency: env.WORKER_CONCURRENCY },
    models: {
      defaultModel: env.DEFAULT_MODEL,
      file: env.MODELS_FILE,
      aliases: modelsFile?.aliases ?? new Map(),
    },
    cache: {
      ttlSeconds: env.CACHE_TTL_SECONDS,
      l1MaxEntries: env.CACHE_L1_MAX_ENTRIES,
      l1MaxBytes: env.CACHE_L1_MAX_BYTES,
      maxEntryBytes: env.CACHE_MAX_ENTRY_BYTES,
      staleIfErrorSeconds: env.CACHE_STALE_IF_ERROR_SECONDS,
    },
    rateLimit: {
      perMinute: env.RATE_LIMIT_PER_MINUTE,
      globalPerMinute: env.GLOBAL_RATE_LIMIT_PER_MINUTE,
      globalPerHour: env.GLOBAL_RATE_LIMIT_PER_HOUR,
      globalConcurrency: env.GLOBAL_CONCURRENCY,
      globalTokensPerDay: env.GLOBAL_TOKENS_PER_DAY,
      globalCostUsdPerDay: env.GLOBAL_COST_USD_PER_DAY,
    },
    resilience: {
      llmTimeoutMs: Math.round(env.LLM_TIMEOUT_SECONDS * 1000),
      requestTimeoutMs: Math.round(env.REQUEST_TIMEOUT_SECONDS * 1000),
      retryMaxAttempts: env.RETRY_MAX_ATTEMPTS,
      retryBaseDelayMs: env.RETRY_BASE_DELAY_MS,
      breaker: {
        errorThresholdPercent: env.BREAKER_ERROR_THRESHOLD_PERCENT,
        volumeThreshold: env.BREAKER_VOLUME_THRESHOLD,
        resetTimeoutMs: Math.round(env.BREAKER_RESET_TIMEOUT_SECONDS * 1000),
      },
      immediateRetryAfterSeconds: env.IMMEDIATE_RETRY_AFTER_SECONDS,
    },
    queue: {
      maxSize: env.QUEUE_MAX_SIZE,
      highWatermark: env.QUEUE_HIGH_WATERMARK,
      lowWatermark: env.QUEUE_LOW_WATERMARK,
      requestTtlSeconds: env.QUEUE_REQUEST_TTL_SECONDS,
      maxRetries: env.QUEUE_MAX_RETRIES,
      resultRetentionSeconds: env.QUEUE_RESULT_RETENTION_SECONDS,
    },
    webhooks: {
      allowedHosts: env.WEBHOOK_ALLOWED_HOSTS.split(',')
        .map((host) => host.trim().toLowerCase())
        .filter(Boolean),
    },
    tracing: {
      tracesUrl: env.OTEL_SDK_DISABLED ? undefined : tracesUrlOf(env),
      protocol: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL,
    },
    providers: providerSettings(environment),
    openRouter: { httpReferer: env.OPENROUTER_HTTP_REFERER, appTitle: env.OPENROUTER_APP_TITLE },
    mock: {
      enabled: env.MOCK_PROVIDER_ENABLED ?? !production,
      latencyMs: env.MOCK_LATENCY_MS,
      failureRate: env.MOCK_FAILURE_RATE,
    },
    record: { dir: env.RECORD_DIR === undefined ? undefined : writableDirectory(env.RECORD_DIR) },
    callers: {
      list: callers ?? [devCaller()],
      devCaller: !callers,
      file: env.CALLERS_FILE,
      processingModes: processingModesOf(callers ?? []),
      priorities: prioritiesOf(callers ?? []),
      allowedModels: allowedModelsOf(callers ?? []),
    },
  };
}

/** A Map, not an object: caller ids such as `constructor` must not reach an object's prototype. */
/**
 * The OTLP traces URL as the OpenTelemetry specification builds it: the signal's own variable as given, else
 * the base endpoint with `v1/traces` appended (one slash between them).
 */
function tracesUrlOf(env: EnvironmentSchema): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base === undefined ? undefined : `${base.replace(/\/+$/, '')}/v1/traces`;
}

function processingModesOf(callers: ConfiguredCaller[]): ReadonlyMap<string, ProcessingMode> {
  return new Map(
    callers.flatMap((caller) => (caller.processingMode ? [[caller.id, caller.processingMode] as const] : [])),
  );
}

function prioritiesOf(callers: ConfiguredCaller[]): ReadonlyMap<string, CallerPriority> {
  return new Map(
    callers.flatMap((caller) =>
      caller.priority || caller.maxPriority
        ? [[caller.id, { priority: caller.priority, maxPriority: caller.maxPriority }] as const]
        : [],
    ),
  );
}

function allowedModelsOf(callers: ConfiguredCaller[]): ReadonlyMap<string, ModelAllowList> {
  return new Map(
    callers.flatMap((caller) =>
      caller.models ? [[caller.id, new ModelAllowList(caller.models)] as const] : [],
    ),
  );
}

/** RECORD_DIR must exist and be writable now: finding out at the first recorded answer would lose a run. */
function writableDirectory(dir: string): string {
  const path = resolve(dir);
  try {
    if (!statSync(path).isDirectory()) throw new Error('not a directory');
    accessSync(path, constants.W_OK);
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : (error as Error).message;
    throw new ConfigError(`RECORD_DIR must be a writable directory: "${dir}" is not (${reason})`);
  }
  return path;
}

function providerSettings(environment: Environment): Record<RemoteProviderId, ProviderSettings> {
  const entries = REMOTE_PROVIDER_IDS.map((id) => {
    const prefix = `${id.toUpperCase()}_`;
    const own = Object.fromEntries(
      Object.entries(withoutBlanks(environment))
        .filter(([name]) => name.startsWith(prefix))
        .map(([name, value]) => [name.slice(prefix.length), value]),
    );
    const env = validated(ProviderEnvironment, own, prefix);
    return [id, { apiKey: env.API_KEY, baseUrl: env.BASE_URL, rpm: env.RPM }] as const;
  });
  return Object.fromEntries(entries) as Record<RemoteProviderId, ProviderSettings>;
}

function validated<T extends object>(schema: new () => T, values: Environment, prefix: string): T {
  const instance = plainToInstance(schema, values, {
    enableImplicitConversion: true,
    exposeDefaultValues: true,
  });
  const problems = flattenValidationErrors(validateSync(instance));
  if (problems.length > 0) {
    const { path } = problems[0];
    const given = values[path];
    const messages = problems
      .filter((problem) => problem.path === path)
      .map((problem) => prefix + problem.message);
    throw new ConfigError(
      `Invalid environment variable ${prefix}${path}: ${messages.join('; ')}` +
        (given === undefined || /KEY|SECRET/.test(path) ? '' : ` (got "${given}")`),
    );
  }
  return instance;
}

/** `NAME=` in a .env file means unset, as users expect. */
function withoutBlanks(environment: Environment): Environment {
  return Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''),
  );
}
