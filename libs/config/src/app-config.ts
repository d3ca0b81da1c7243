import { Caller, RemoteProviderId } from '@breakwater/contracts';

export interface ProviderSettings {
  apiKey?: string;
  baseUrl?: string;
  /** Outbound requests per minute the gateway allows itself toward this provider; 0 is no limit. */
  rpm: number;
}

export interface BreakerSettings {
  errorThresholdPercent: number;
  volumeThreshold: number;
  resetTimeoutMs: number;
}

/**
 * The whole configuration, typed per area, built once at start-up by loadConfig and injected by this
 * class as a token. Nothing else reads the environment.
 */
export abstract class AppConfig {
  abstract readonly env: { nodeEnv: string; production: boolean };
  abstract readonly http: { port: number; workerPort: number; maxBodyBytes: number };
  abstract readonly log: { level: string };
  abstract readonly redis: { url: string };
  abstract readonly workers: { run: boolean; concurrency: number };
  abstract readonly models: { defaultModel: string };
  abstract readonly cache: { ttlSeconds: number; l1MaxEntries: number; staleIfErrorSeconds: number };
  abstract readonly rateLimit: { perMinute: number; globalPerMinute: number };
  abstract readonly resilience: {
    llmTimeoutMs: number;
    requestTimeoutMs: number;
    retryMaxAttempts: number;
    retryBaseDelayMs: number;
    breaker: BreakerSettings;
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
  abstract readonly tracing: { otlpEndpoint?: string };
  abstract readonly providers: Record<RemoteProviderId, ProviderSettings>;
  /** OpenRouter's app attribution headers (`HTTP-Referer`, `X-Title`). */
  abstract readonly openRouter: { httpReferer?: string; appTitle: string };
  abstract readonly mock: { latencyMs: number; failureRate: number };
  /** The callers; `devCaller` is true when none were configured and the `dev`/`dev-key` admin stands in. */
  abstract readonly callers: { list: Caller[]; devCaller: boolean; file?: string };
}
