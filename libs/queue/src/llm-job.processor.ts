import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError, Worker } from 'bullmq';
import { AppConfig } from '@breakwater/config';
import { ChatCompletion } from '@breakwater/contracts';
import { Metrics } from '@breakwater/observability';
import { RedisConnections } from '@breakwater/redis';
import { bullConnection } from './bull-connection';
import { closeWorker } from './worker-shutdown';
import { EXPIRED_REASON, LlmJobData } from './llm-job';
import { LlmJobRunner } from './llm-job.runner';
import { JobEvents } from './job-events';
import {
  LLM_QUEUE,
  WORKER_LOCK_DURATION_MS,
  WORKER_MAX_STALLED_COUNT,
  WORKER_STALLED_INTERVAL_MS,
} from './queue.constants';
import { quietAfterClose } from './quiet-after-close';

/**
 * The BullMQ worker of the LLM queue (in the gateway when RUN_WORKERS=true, and in apps/worker). It is
 * built here rather than with @nestjs/bullmq's @Processor because its options come from configuration
 * (WORKER_CONCURRENCY) and its connection must be the patient one while producers fail fast.
 *
 * Delivery is at least once: a job is completed only after its answer is stored; a worker that dies
 * mid-job loses its lock and the stalled check gives the job to another worker. Outcomes map to BullMQ
 * as: completed → return value; wait → moved to delayed (no attempt spent); retry → thrown (an attempt,
 * exponential backoff with jitter); failed/expired → UnrecoverableError (no more attempts).
 *
 * It is opened and begins taking jobs only once Redis answers, so a worker never spins against an
 * unreachable Redis at start.
 */
@Injectable()
export class LlmJobProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('LlmWorker');
  private worker?: Worker<LlmJobData, ChatCompletion>;
  private active = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly runner: LlmJobRunner,
    private readonly redis: RedisConnections,
    private readonly metrics: Metrics,
    private readonly events: JobEvents,
  ) {}

  onApplicationBootstrap(): void {
    if (this.redis.available) this.start();
    else this.redis.onTransition((available) => available && this.start());
  }

  async onApplicationShutdown(): Promise<void> {
    await closeWorker(this.worker, () => this.active, this.config.resilience.requestTimeoutMs);
  }

  /** Opens the worker once Redis has answered (see QueueConnections on closing unconnected ones). */
  private start(): void {
    if (this.worker?.isRunning()) return;
    this.worker ??= this.open();
    this.logger.log(`taking jobs from ${LLM_QUEUE} with concurrency ${this.config.workers.concurrency}`);
    this.worker.run().catch((error: unknown) => this.logger.error({ err: error }, 'worker stopped'));
  }

  private open(): Worker<LlmJobData, ChatCompletion> {
    const worker = new Worker<LlmJobData, ChatCompletion>(
      LLM_QUEUE,
      (job, token) => this.process(job, token),
      {
        connection: bullConnection(this.config.redis.url, 'worker'),
        concurrency: this.config.workers.concurrency,
        autorun: false,
        lockDuration: WORKER_LOCK_DURATION_MS,
        stalledInterval: WORKER_STALLED_INTERVAL_MS,
        maxStalledCount: WORKER_MAX_STALLED_COUNT,
      },
    );
    worker.on('error', () => undefined);
    quietAfterClose(worker);
    worker.on('failed', (job, error) => this.failed(job, error));
    return worker;
  }

  private async process(job: Job<LlmJobData, ChatCompletion>, token?: string): Promise<ChatCompletion> {
    this.active++;
    try {
      return await this.settle(job, token);
    } finally {
      this.active--;
    }
  }

  private async settle(job: Job<LlmJobData, ChatCompletion>, token?: string): Promise<ChatCompletion> {
    const outcome = await this.runner.run(job.data);
    switch (outcome.kind) {
      case 'completed':
        this.metrics.queueJobsTotal.inc({ outcome: 'completed' });
        this.events.ended(job.data, outcome);
        return outcome.completion;
      case 'wait':
        await job.moveToDelayed(Date.now() + outcome.delayMs, token);
        throw new DelayedError(outcome.reason);
      case 'retry':
        throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
      case 'failed':
        throw new UnrecoverableError(`${outcome.error.code}: ${outcome.error.message}`);
      case 'expired':
        throw new UnrecoverableError(`${EXPIRED_REASON}: the request expired before it could be answered`);
    }
  }

  /** Final failures only (attempts spent, or unrecoverable): retries in between are not the end. */
  private failed(job: Job<LlmJobData, ChatCompletion> | undefined, error: Error): void {
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

/** `CODE: message` as the processor writes failure reasons. */
export function parseError(reason: string): { code: string; message: string } {
  const match = /^([A-Z_]+): (.*)$/s.exec(reason);
  return match ? { code: match[1], message: match[2] } : { code: 'PROVIDER_ERROR', message: reason };
}
