import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LLM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30];
/** The `model` label of every model the gateway does not know (the contract's word). */
export const OTHER_MODEL_LABEL = 'other';

const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Every Prometheus instrument of the process, with the contract's names. One registry per instance, so
 * two gateways in one test process do not collide.
 *
 * A label value is a time series kept until the process ends, so a `model` label takes only the models
 * the gateway knows (registered at start-up with knowModels: priced models, DEFAULT_MODEL, aliases) and
 * `other` for everything else, whatever names callers send: modelLabel() decides it, for every instrument.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private readonly knownModels = new Set<string>();

  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  readonly llmRequests = new Counter({
    name: 'llm_requests_total',
    help: 'Provider calls by provider, model and outcome (success, invalid_output, transient, rate_limited, auth, bad_request, circuit_open, error).',
    labelNames: ['provider', 'model', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly llmRequestDuration = new Histogram({
    name: 'llm_request_duration_seconds',
    help: 'Provider call duration (one attempt).',
    labelNames: ['provider', 'model'] as const,
    buckets: LLM_BUCKETS,
    registers: [this.registry],
  });

  /** From an attempt's start to its first chunk, for streamed answers. */
  readonly llmTimeToFirstToken = new Histogram({
    name: 'llm_time_to_first_token_seconds',
    help: 'Time from a streamed provider attempt to its first chunk.',
    labelNames: ['provider'] as const,
    buckets: LLM_BUCKETS,
    registers: [this.registry],
  });

  readonly llmStreamChunks = new Counter({
    name: 'llm_stream_chunks_total',
    help: 'Chunks of streamed answers received from providers.',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  readonly llmTokens = new Counter({
    name: 'llm_tokens_total',
    help: 'Tokens by provider, model and type (input, output).',
    labelNames: ['provider', 'model', 'type'] as const,
    registers: [this.registry],
  });

  readonly llmCost = new Counter({
    name: 'llm_cost_usd_total',
    help: 'Provider cost in USD by provider and model.',
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  });

  readonly circuitBreakerState = new Gauge({
    name: 'circuit_breaker_state',
    help: 'Circuit breaker state per provider: 0 closed, 1 half-open, 2 open.',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  readonly cacheRequests = new Counter({
    name: 'cache_requests_total',
    help: 'Response-cache lookups by result (hit, miss, bypass, stale).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly cacheSavedCost = new Counter({
    name: 'cache_saved_cost_usd_total',
    help: 'Provider cost in USD that cache hits avoided, by provider and model.',
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  });

  readonly rateLimitRejections = new Counter({
    name: 'rate_limit_rejections_total',
    help: 'Requests refused by a limit, by scope (caller, end_user, global, concurrency, budget, provider).',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });

  readonly budgetSpentUsd = new Gauge({
    name: 'budget_spent_usd',
    help: 'USD spent today (UTC) by scope: global, or a caller id for callers with a USD budget.',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });

  readonly budgetLimitUsd = new Gauge({
    name: 'budget_limit_usd',
    help: 'The daily USD budget by scope: global, or a caller id for callers with a USD budget.',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });

  readonly queueJobs = new Gauge({
    name: 'queue_jobs',
    help: 'Queued LLM jobs by state (waiting, delayed, active, prioritized, local).',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly queueJobsTotal = new Counter({
    name: 'queue_jobs_total',
    help: 'Queued LLM jobs by outcome (enqueued, completed, failed, expired, rejected_full).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly queueOldestJobAge = new Gauge({
    name: 'queue_oldest_job_age_seconds',
    help: 'Age of the oldest queued LLM job that waits for a free worker (0: none waits).',
    registers: [this.registry],
  });

  readonly redisConnected = new Gauge({
    name: 'redis_connected',
    help: 'Whether this process reaches the shared Redis: 1 shared mode, 0 embedded mode.',
    registers: [this.registry],
  });

  readonly queueWait = new Histogram({
    name: 'queue_wait_seconds',
    help: 'Time from enqueue to completion of a queued LLM job.',
    buckets: [0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 1800, 3600, 14400],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Adds `provider/model` names that keep their own `model` label; called at start-up, from configuration only. */
  knowModels(names: Iterable<string>): void {
    for (const name of names) this.knownModels.add(name);
  }

  /** The `model` label of a call of `model` on `provider`: its own name when known, else `other`. */
  modelLabel(provider: string, model: string): string {
    return this.knownModels.has(`${provider}/${model}`) ? model : OTHER_MODEL_LABEL;
  }
}
