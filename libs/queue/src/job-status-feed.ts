import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { QueueEvents } from 'bullmq';
import { RedisConnections } from '@breakwater/redis';
import { bullConnection } from './bull-connection';
import { JobEvents } from './job-events';
import { LLM_QUEUE } from './queue.constants';

/** BullMQ's events that change what `/v1/status` shows of a job (state, attempts, or the job itself). */
const STATUS_EVENTS = [
  'added',
  'waiting',
  'active',
  'delayed',
  'completed',
  'failed',
  'stalled',
  'removed',
] as const;

/** How long watch() waits for the reader to listen: while Redis is away it cannot, and local jobs need it not. */
const READY_WAIT_MS = 2_000;

export type JobChange = () => void;

/**
 * Tells the watchers of a queued job that its status may have changed, so a status stream re-reads it
 * only then: for durable jobs from BullMQ's QueueEvents (the queue's Redis event stream, written by
 * whichever process moved the job, so it works across replicas and worker processes), for local jobs from
 * the local queue (JobEvents). No timer reads a job's status.
 *
 * The QueueEvents reader (one blocking Redis connection) starts with the first watcher, so processes that
 * never serve a stream (workers) open none, and it is shared by every stream of this process.
 */
@Injectable()
export class JobStatusFeed implements OnApplicationShutdown {
  private readonly logger = new Logger('JobStatusFeed');
  private readonly watchers = new Map<string, Set<JobChange>>();
  private reader?: QueueEvents;

  constructor(
    private readonly redis: RedisConnections,
    events: JobEvents,
  ) {
    events.onChanged((queueId) => this.notify(queueId));
  }

  /**
   * Calls `changed` on every change of job `queueId` until the returned function is called. Resolves once
   * the BullMQ reader is listening (so a status read after it misses no later change), or after
   * READY_WAIT_MS while Redis is away (local jobs are told by the local queue all the same).
   */
  async watch(queueId: string, changed: JobChange): Promise<() => void> {
    let set = this.watchers.get(queueId);
    if (!set) this.watchers.set(queueId, (set = new Set()));
    set.add(changed);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.listening().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, READY_WAIT_MS))),
    ]);
    clearTimeout(timer);
    return () => {
      const current = this.watchers.get(queueId);
      current?.delete(changed);
      if (current?.size === 0) this.watchers.delete(queueId);
    };
  }

  async onApplicationShutdown(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    await reader?.close().catch(() => undefined);
  }

  private async listening(): Promise<void> {
    if (!this.reader) {
      const reader = new QueueEvents(LLM_QUEUE, bullConnection(this.redis, 'worker'));
      for (const name of STATUS_EVENTS) reader.on(name, ({ jobId }: { jobId: string }) => this.notify(jobId));
      // The connection retries on its own; a stream meanwhile shows its last status and its heartbeats.
      reader.on('error', (error) => this.logger.warn({ err: error }, 'queue events reader error'));
      this.reader = reader;
    }
    await this.reader.waitUntilReady();
  }

  private notify(queueId: string): void {
    const set = this.watchers.get(queueId);
    if (!set) return;
    for (const changed of [...set]) changed();
  }
}
