export type CallerRole = 'caller' | 'admin';

export interface CallerLimits {
  per_minute?: number;
  per_hour?: number;
  per_day?: number;
  concurrency?: number;
  tokens_per_day?: number;
  cost_usd_per_day?: number;
}

export interface CallerCachePolicy {
  enabled: boolean;
  ttl_seconds?: number;
  namespace: string;
}

/** A caller of the gateway, as loaded from `CALLERS_FILE`; its key is known only by its SHA-256. */
export interface Caller {
  id: string;
  keySha256: string;
  role: CallerRole;
  limits: CallerLimits;
  endUserLimits: CallerLimits;
  cache: CallerCachePolicy;
  webhookSecret?: string;
}
