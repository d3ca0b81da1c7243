import { Caller, Priority, ProcessingMode, RemoteProviderId } from '@breakwater/contracts';
import type { OtlpProtocol } from './environment.schema';
import { ModelAllowList } from './model-glob';
import type { RedisTarget } from './redis-target';

export interface ProviderSettings {
  apiKey?: string;
  baseUrl?: string;
  /** Outbound requests per minute the gateway allows itself toward this provider; 0 is no limit. */
  rpm: number;
}

/** USD per million tokens, as in pricing.json and PRICING_FILE. */
export interface PriceEntry {
  input: number;
  output: number;
}

/** A MODELS_FILE alias: where it routes (model, then fallbacks), what it fills in, what its targets cost. */
export interface ModelAlias {
  route: string[];
  defaults: { temperature?: number; max_tokens?: number; top_p?: number };
  price?: PriceEntry;
}

export interface BreakerSettings {
  errorThresholdPercent: number;
  volumeThreshold: number;
  resetTimeoutMs: number;
}

/** A caller's queue priority: the default of its requests and the highest `x-priority` it may ask for. */
export interface CallerPriority {
  priority?: Priority;
  maxPriority?: Priority;
}

/**
 * The whole configuration, typed per area, built once at start-up by loadConfig and injected by this
 * class as a token. Nothing else reads the environment.
 */
export abstract class AppConfig {
  abstract readonly env: { nodeEnv: string; production: boolean };
  abstract readonly http: {
    port: number;
    workerPort: number;
    /** Where the gateway listens: HOST, else 127.0.0.1 while the dev caller is active, else 0.0.0.0. */
    host: string;
    maxBodyBytes: number;
    /** Deepest nesting of a JSON body; deeper bodies are 400 at parse. */
    maxJsonDepth: number;
    /** After SIGTERM: ready turns 503 and the server keeps serving this long before it closes. */
    shutdownDrainMs: number;
  };
  /** Bounds on caller-supplied JSON Schemas (response_format). */
  abstract readonly schemas: { maxBytes: number };
  /**
   * Prices from PRICING_FILE (`provider/model` keys), merged over the shipped table; `aliasPrices` are the
   * MODELS_FILE aliases' prices of their route targets, which win over both.
   */
  abstract readonly pricing: {
    file?: string;
    models: Record<string, PriceEntry>;
    aliasPrices: Record<string, PriceEntry>;
  };
  abstract readonly log: { level: string };
  abstract readonly redis: RedisTarget;
  abstract readonly workers: { run: boolean; concurrency: number };
  /** `defaultModel` unset: bare model names are routed by their prefix. `aliases` from MODELS_FILE win over both. */
  abstract readonly models: {
    defaultModel?: string;
    file?: string;
    aliases: ReadonlyMap<string, ModelAlias>;
  };
  abstract readonly cache: {
    ttlSeconds: number;
    l1MaxEntries: number;
    /** Bytes the first tier may hold (its entries' serialised size); 0 with l1MaxEntries 0 turns it off. */
    l1MaxBytes: number;
    /** The largest answer stored (serialised); a larger one is answered but not cached. */
    maxEntryBytes: number;
    staleIfErrorSeconds: number;
  };
  /** The `global*` limits hold for all callers together, across replicas; 0 is none. */
  abstract readonly rateLimit: {
    perMinute: number;
    globalPerMinute: number;
    globalPerHour: number;
    /** Requests in flight to providers at once (synchronous requests and queued jobs alike). */
    globalConcurrency: number;
    globalTokensPerDay: number;
    globalCostUsdPerDay: number;
  };
  abstract readonly resilience: {
    llmTimeoutMs: number;
    requestTimeoutMs: number;
    retryMaxAttempts: number;
    retryBaseDelayMs: number;
    breaker: BreakerSettings;
    /** The longest `Retry-After` of a 503 in immediate mode: an SDK retrying on it must not wait a breaker's reset. */
    immediateRetryAfterSeconds: number;
  };
  abstract readonly queue: {
    maxSize: number;
    highWatermark: number;
    lowWatermark: number;
    requestTtlSeconds: number;
    maxRetries: number;
    resultRetentionSeconds: number;
  };
  abstract readonly webhooks: { allowedHosts: string[] };
  /**
   * `tracesUrl` is where spans go (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else
   * OTEL_EXPORTER_OTLP_ENDPOINT with `/v1/traces`); unset, or OTEL_SDK_DISABLED, is no tracing at all.
   */
  abstract readonly tracing: { tracesUrl?: string; protocol: OtlpProtocol };
  abstract readonly providers: Record<RemoteProviderId, ProviderSettings>;
  /** OpenRouter's app attribution headers (`HTTP-Referer`, `X-Title`). */
  abstract readonly openRouter: { httpReferer?: string; appTitle: string };
  /** `enabled` false: `mock/*` answers 400 PROVIDER_NOT_CONFIGURED (the default in production). */
  abstract readonly mock: { enabled: boolean; latencyMs: number; failureRate: number };
  /** RECORD_DIR as an absolute path: every provider exchange is written there and `replay/*` answers from it. */
  abstract readonly record: { dir?: string };
  /** The callers; `devCaller` is true when none were configured and the `dev`/`dev-key` admin stands in. */
  abstract readonly callers: {
    list: Caller[];
    devCaller: boolean;
    file?: string;
    /** Each caller's `processing_mode` by caller id; a caller without one uses queue_if_unavailable. */
    processingModes: ReadonlyMap<string, ProcessingMode>;
    /** Each caller's `priority` default and `max_priority` ceiling by caller id; absent: normal and high. */
    priorities: ReadonlyMap<string, CallerPriority>;
    /** Each caller's `models` allow-list by caller id; a caller without one may use every model. */
    allowedModels: ReadonlyMap<string, ModelAllowList>;
  };
}
