import { JobsOptions } from 'bullmq';
import { AppConfig } from '@breakwater/config';
import { Priority } from '@breakwater/contracts';

/** BullMQ queue names (no `:`, as BullMQ requires). */
export const LLM_QUEUE = 'bw-llm';
export const WEBHOOK_QUEUE = 'bw-webhooks';
export const LLM_JOB = 'chat';

/**
 * The producers' queues are registered under their own names, on the fail-fast connection of this
 * config key: a worker built by @nestjs/bullmq copies the options of a queue registered under its
 * queue's name, and the workers must keep the default (patient) connection.
 */
export const PRODUCER_CONNECTION = 'producer';
export const LLM_PRODUCER = 'llm-producer';
export const WEBHOOK_PRODUCER = 'webhook-producer';
export const WEBHOOK_JOB = 'deliver';

/**
 * Workers hold a job's lock for 10 s and renew it every 5 s while the job runs; a worker that dies
 * (SIGKILL) stops renewing, and the stalled check (every 5 s) hands its job to another worker within
 * about 15 s. Twice stalled and the job fails rather than crash-loop a poison request.
 */
export const WORKER_LOCK_DURATION_MS = 10_000;
export const WORKER_STALLED_INTERVAL_MS = 5_000;
export const WORKER_MAX_STALLED_COUNT = 2;

export const WEBHOOK_ATTEMPTS = 8;
export const WEBHOOK_BACKOFF_MS = 1_000;
export const WEBHOOK_TIMEOUT_MS = 10_000;
export const WEBHOOK_CONCURRENCY = 20;

/**
 * BullMQ's priority of each `x-priority` (1 is the highest). Every job has one: BullMQ serves jobs without
 * a priority (0) before all prioritized ones, which would put them ahead of `high`.
 */
export const BULL_PRIORITY: Record<Priority, number> = { high: 1, normal: 2, low: 3 };

/** How a job waits for an open breaker when the breaker gives no better figure. */
export const MIN_WAIT_MS = 1_000;

export interface LlmJobOptions extends JobsOptions {
  attempts: number;
  backoff: { type: 'exponential'; delay: number; jitter: number };
  removeOnComplete: { age: number };
  removeOnFail: { age: number };
}

/**
 * An LLM job's attempts (QUEUE_MAX_RETRIES + 1), backoff (exponential with jitter from
 * RETRY_BASE_DELAY_MS) and retention (QUEUE_RESULT_RETENTION_SECONDS): read by both job queues, so a
 * job retries alike in Redis and in memory.
 */
export function llmJobOptions(config: AppConfig): LlmJobOptions {
  const { maxRetries, resultRetentionSeconds } = config.queue;
  return {
    attempts: maxRetries + 1,
    backoff: { type: 'exponential', delay: Math.max(config.resilience.retryBaseDelayMs, 100), jitter: 0.5 },
    removeOnComplete: { age: resultRetentionSeconds },
    removeOnFail: { age: resultRetentionSeconds },
  };
}

export const WEBHOOK_JOB_OPTIONS: JobsOptions = {
  attempts: WEBHOOK_ATTEMPTS,
  backoff: { type: 'exponential', delay: WEBHOOK_BACKOFF_MS, jitter: 0.5 },
  removeOnComplete: { age: 3600 },
  removeOnFail: { age: 86400 },
};
