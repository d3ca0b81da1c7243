import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { BackoffStrategy, Backoffs } from 'bullmq';
import { AppConfig } from '@breakwater/config';
import { JobStatus } from '@breakwater/contracts';
import { Metrics } from '@breakwater/observability';
import { FinishedJobs } from './finished-jobs';
import { JobEvents } from './job-events';
import { JobQueue } from './job-queue';
import { JobView, LlmJobData, LlmJobResult } from './llm-job';
import { LlmJobRunner, RunOutcome } from './llm-job.runner';
import { QueueCapacity } from './queue-capacity';
import { BULL_PRIORITY, llmJobOptions } from './queue.constants';

/**
 * What the finished results of the local queue may hold: each finished job is charged its result's
 * serialised length plus FINISHED_JOB_OVERHEAD_BYTES; past it the oldest finished are forgotten first.
 */
const LOCAL_RESULTS_MAX_BYTES = 64 * 1024 * 1024;
/** What a finished job costs besides its result (ids, times, the record itself). */
const FINISHED_JOB_OVERHEAD_BYTES = 256;

/** What status and results need of a job; a finished job keeps only this (not its request). */
interface JobRecord {
  callerId: string;
  state: JobStatus;
  attempts: number;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  result?: LlmJobResult;
  error?: { code: string; message: string };
}

interface LocalJob {
  data: LlmJobData;
  state: JobStatus;
  attempts: number;
  /** Epoch ms before which the job does not run (backoff, or waiting for a breaker). */
  notBefore: number;
  updatedAt: number;
  result?: LlmJobResult;
  error?: { code: string; message: string };
}

/**
 * The job queue of embedded mode: while Redis is unreachable, accepted work waits here, in this
 * process's memory, bounded by QUEUE_MAX_SIZE and its watermarks, and is drained in-process with
 * WORKER_CONCURRENCY by the same runner as the BullMQ workers. Attempts, backoff and retention are the
 * BullMQ job's (`llmJobOptions`, BullMQ's own backoff strategy); answers are kept within
 * LOCAL_RESULTS_MAX_BYTES besides. It does not survive the process: on a clean shutdown the gateway
 * hands what has not started to Redis if Redis is back (see `takePending`), and the 202 said
 * `durable: false` from the start.
 */
@Injectable()
export class MemoryJobQueue extends JobQueue implements OnApplicationShutdown {
  readonly durable = false;
  private readonly logger = new Logger('MemoryJobQueue');
  /** Jobs not yet ended (queued or processing): bounded by QUEUE_MAX_SIZE, never dropped. */
  private readonly jobs = new Map<string, LocalJob>();
  private readonly finished: FinishedJobs<JobRecord>;
  private readonly capacity: QueueCapacity;
  private readonly attempts: number;
  private readonly backoff: BackoffStrategy;
  private active = 0;
  private timer?: NodeJS.Timeout;
  private closing = false;

  constructor(
    private readonly config: AppConfig,
    private readonly runner: LlmJobRunner,
    private readonly metrics: Metrics,
    private readonly events: JobEvents,
  ) {
    super();
    const { maxSize, highWatermark, lowWatermark } = config.queue;
    this.capacity = new QueueCapacity(maxSize, highWatermark, lowWatermark);
    const options = llmJobOptions(config);
    const { type, delay, jitter } = options.backoff;
    this.attempts = options.attempts;
    this.backoff = Backoffs.builtinStrategies[type](delay, jitter);
    this.finished = new FinishedJobs(LOCAL_RESULTS_MAX_BYTES, options.removeOnComplete.age * 1000);
  }

  depth(): Promise<number> {
    return Promise.resolve(this.jobs.size);
  }

  /** Of the queued jobs that are due (not waiting out a backoff or a breaker), the earliest accepted. */
  oldestWaitingSince(): Promise<number | undefined> {
    const now = Date.now();
    let oldest: number | undefined;
    for (const job of this.jobs.values()) {
      if (
        job.state === 'queued' &&
        job.notBefore <= now &&
        (oldest === undefined || job.data.createdAt < oldest)
      )
        oldest = job.data.createdAt;
    }
    return Promise.resolve(oldest);
  }

  add(data: LlmJobData): Promise<boolean> {
    return Promise.resolve(this.enqueue(data));
  }

  find(queueId: string): Promise<JobView | undefined> {
    return Promise.resolve(this.view(queueId));
  }

  /**
   * Whether new work is refused right now (readiness: Redis down and this full means unready). Judged
   * on the current depth, so a queue that drained under its low watermark is open again before the next
   * request tries it (an unready pod gets no requests to try).
   */
  get full(): boolean {
    return !this.capacity.admits(this.jobs.size);
  }

  /** Puts back jobs `takePending` took and could not hand over, whatever the capacity. */
  restore(data: LlmJobData): void {
    this.jobs.set(data.queueId, { data, state: 'queued', attempts: 0, notBefore: 0, updatedAt: Date.now() });
    this.metrics.queueJobs.set({ state: 'local' }, this.jobs.size);
    this.pump();
  }

  private enqueue(data: LlmJobData): boolean {
    if (this.closing || this.full) return false;
    this.restore(data);
    return true;
  }

  private view(queueId: string): JobView | undefined {
    const live = this.jobs.get(queueId);
    const job = live ? recordOf(live) : this.finished.get(queueId);
    if (!job) return undefined;
    const expired = job.state === 'queued' && Date.now() >= job.expiresAt;
    return {
      callerId: job.callerId,
      result: job.result,
      status: {
        queue_id: queueId,
        status: expired ? 'expired' : job.state,
        attempts: job.attempts,
        created_at: new Date(job.createdAt).toISOString(),
        updated_at: new Date(job.updatedAt).toISOString(),
        expires_at: new Date(job.expiresAt).toISOString(),
        ...(live && job.state === 'queued' && !expired ? { position: this.positionOf(live) } : {}),
        ...(job.error ? { error: job.error } : {}),
      },
    };
  }

  /** Removes and returns the jobs that have not started, oldest first (to hand them to Redis). */
  takePending(): LlmJobData[] {
    const pending = [...this.jobs.values()].filter((job) => job.state === 'queued');
    for (const job of pending) this.jobs.delete(job.data.queueId);
    return pending.map((job) => job.data).sort((a, b) => a.createdAt - b.createdAt);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    const deadline = Date.now() + this.config.resilience.requestTimeoutMs;
    while (this.active > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const left = this.jobs.size;
    if (left > 0)
      this.logger.error(`${left} local (non-durable) job(s) could not be handed to Redis and are lost`);
  }

  private positionOf(target: LocalJob): number {
    return this.inDrainOrder()
      .filter((job) => job.state === 'queued')
      .indexOf(target);
  }

  /**
   * The jobs in the order they are taken: by priority as BullMQ ranks it, first in, first out within one
   * (a stable sort of the Map's insertion order). At most QUEUE_MAX_SIZE of them.
   */
  private inDrainOrder(): LocalJob[] {
    return [...this.jobs.values()].sort((a, b) => rankOf(a) - rankOf(b));
  }

  private pump(): void {
    if (this.closing) return;
    clearTimeout(this.timer);
    const now = Date.now();
    let next = Infinity;
    for (const job of this.inDrainOrder()) {
      if (job.state !== 'queued') continue;
      if (job.notBefore > now) {
        next = Math.min(next, job.notBefore);
        continue;
      }
      if (this.active >= this.config.workers.concurrency) return;
      void this.execute(job);
    }
    if (next !== Infinity) this.timer = setTimeout(() => this.pump(), next - now).unref();
  }

  private async execute(job: LocalJob): Promise<void> {
    this.active++;
    job.state = 'processing';
    job.updatedAt = Date.now();
    this.events.changed(job.data.queueId);
    const outcome = await this.runner.run(job.data, job.attempts + 1);
    this.active--;
    this.settle(job, outcome);
    this.events.changed(job.data.queueId);
    this.metrics.queueJobs.set({ state: 'local' }, this.jobs.size);
    this.pump();
  }

  private settle(job: LocalJob, outcome: RunOutcome): void {
    job.updatedAt = Date.now();
    switch (outcome.kind) {
      case 'completed':
        job.attempts++;
        Object.assign(job, { state: 'completed', result: outcome.result });
        break;
      case 'wait':
        Object.assign(job, {
          state: 'queued',
          notBefore: Date.now() + outcome.delayMs,
          error: { code: 'PROVIDER_UNAVAILABLE', message: outcome.reason },
        });
        return;
      case 'retry':
        job.attempts++;
        job.error = outcome.error;
        if (job.attempts < this.attempts) {
          const delay = Number(this.backoff(job.attempts)) || 0;
          Object.assign(job, { state: 'queued', notBefore: Date.now() + delay });
          return;
        }
        job.state = 'failed';
        break;
      case 'failed':
        job.attempts++;
        Object.assign(job, { state: 'failed', error: outcome.error });
        break;
      case 'expired':
        Object.assign(job, {
          state: 'expired',
          error: { code: 'EXPIRED', message: 'the request expired before it could be answered' },
        });
        break;
    }
    this.jobs.delete(job.data.queueId);
    this.finished.keep(job.data.queueId, recordOf(job), chargeOf(job));
    this.metrics.queueJobsTotal.inc({ outcome: job.state });
    this.events.ended(
      job.data,
      outcome.kind === 'retry' ? { kind: 'failed', error: outcome.error } : outcome,
    );
  }
}

function rankOf(job: LocalJob): number {
  return BULL_PRIORITY[job.data.priority ?? 'normal'];
}

function recordOf(job: LocalJob): JobRecord {
  const { callerId, createdAt, expiresAt } = job.data;
  const { state, attempts, updatedAt, result, error } = job;
  return { callerId, createdAt, expiresAt, state, attempts, updatedAt, result, error };
}

/**
 * A finished job's charge. The result is serialised once, when the job ends (the local queue only runs
 * in embedded mode), since no serialised form of it exists in this process.
 */
function chargeOf(job: LocalJob): number {
  const result = job.result ? JSON.stringify(job.result).length : 0;
  return (
    FINISHED_JOB_OVERHEAD_BYTES + result + (job.error ? job.error.code.length + job.error.message.length : 0)
  );
}
