import { OnWorkerEvent, Processor } from '@nestjs/bullmq';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { AppConfig } from '@breakwater/config';
import { Metrics } from '@breakwater/observability';
import { RedisConnections } from '@breakwater/redis';
import { EXPIRED_REASON, HeldProgress, LlmJobData, LlmJobResult, heldOf } from './llm-job';
import { LlmJobRunner } from './llm-job.runner';
import { JobEvents } from './job-events';
import { ManagedWorkerHost } from './managed-worker.host';
import {
  LLM_QUEUE,
  WORKER_LOCK_DURATION_MS,
  WORKER_MAX_STALLED_COUNT,
  WORKER_STALLED_INTERVAL_MS,
} from './queue.constants';

/**
 * The BullMQ worker of the LLM queue (in the gateway when RUN_WORKERS=true, and in apps/worker), with
 * WORKER_CONCURRENCY.
 *
 * Delivery is at least once: a job is completed only after its answer is stored; a worker that dies
 * mid-job loses its lock and the stalled check gives the job to another worker. Outcomes map to BullMQ
 * as: completed → return value; wait → moved to delayed (no attempt spent); retry → thrown (an attempt,
 * exponential backoff with jitter); failed/expired → UnrecoverableError (no more attempts).
 */
@Processor(LLM_QUEUE, {
  autorun: false,
  lockDuration: WORKER_LOCK_DURATION_MS,
  stalledInterval: WORKER_STALLED_INTERVAL_MS,
  maxStalledCount: WORKER_MAX_STALLED_COUNT,
})
export class LlmJobProcessor extends ManagedWorkerHost<LlmJobData, LlmJobResult> {
  constructor(
    config: AppConfig,
    redis: RedisConnections,
    private readonly runner: LlmJobRunner,
    private readonly metrics: Metrics,
    private readonly events: JobEvents,
  ) {
    super(redis, config.workers.concurrency, config.resilience.requestTimeoutMs);
  }

  protected async handle(job: Job<LlmJobData, LlmJobResult>, token?: string): Promise<LlmJobResult> {
    const outcome = await this.runner.run(job.data, job.attemptsMade + 1);
    switch (outcome.kind) {
      case 'completed':
        this.metrics.queueJobsTotal.inc({ outcome: 'completed' });
        this.events.ended(job.data, outcome);
        return outcome.result;
      case 'wait':
        // Its status says why it waits; no attempt is spent, so BullMQ's failedReason would not.
        await job.updateProgress(held(outcome.reason));
        await job.moveToDelayed(Date.now() + outcome.delayMs, token);
        throw new DelayedError(outcome.reason);
      case 'retry':
        if (heldOf(job.progress)) await job.updateProgress({});
        throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
      case 'failed':
        throw new UnrecoverableError(`${outcome.error.code}: ${outcome.error.message}`);
      case 'expired':
        throw new UnrecoverableError(`${EXPIRED_REASON}: the request expired before it could be answered`);
    }
  }

  /** Final failures only (attempts spent, or unrecoverable): retries in between are not the end. */
  @OnWorkerEvent('failed')
  failed(job: Job<LlmJobData, LlmJobResult> | undefined, error: Error): void {
    if (!job || error instanceof DelayedError) return;
    const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (!final) return;
    const expired = error.message.startsWith(EXPIRED_REASON);
    this.metrics.queueJobsTotal.inc({ outcome: expired ? 'expired' : 'failed' });
    this.events.ended(
      job.data,
      expired ? { kind: 'expired' } : { kind: 'failed', error: parseError(error.message) },
    );
  }
}

function held(reason: string): HeldProgress {
  return { held: { code: 'PROVIDER_UNAVAILABLE', message: reason } };
}

/** `CODE: message` as the processor writes failure reasons. */
export function parseError(reason: string): { code: string; message: string } {
  const match = /^([A-Z_]+): (.*)$/s.exec(reason);
  return match ? { code: match[1], message: match[2] } : { code: 'PROVIDER_ERROR', message: reason };
}
