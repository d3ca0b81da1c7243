import { LlmJobData, JobView } from './llm-job';

/**
 * Where accepted work waits: BullMQ in Redis (durable, shared by every replica) or this process's
 * memory (embedded mode, while Redis is unreachable). The producer and the status store pick one with
 * `RedisConnections.sharedOr` and then speak only this.
 */
export abstract class JobQueue {
  /** Whether a job stored here survives this process (the 202's `durable`). */
  abstract readonly durable: boolean;

  /** Stores the job unless the queue is at capacity (QUEUE_MAX_SIZE and its watermarks): false then. */
  abstract add(data: LlmJobData): Promise<boolean>;

  /** The job as the status and results endpoints show it; undefined when this queue does not hold it. */
  abstract find(queueId: string): Promise<JobView | undefined>;

  /** Jobs not yet ended (queued or processing). */
  abstract depth(): Promise<number>;

  /** When the oldest job that waits for a free worker was accepted (epoch ms); undefined when none waits. */
  abstract oldestWaitingSince(): Promise<number | undefined>;
}
