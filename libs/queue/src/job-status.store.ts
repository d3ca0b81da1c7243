import { Injectable } from '@nestjs/common';
import { GatewayError } from '@breakwater/contracts';
import { RedisConnections } from '@breakwater/redis';
import { BullJobQueue } from './bull-job-queue';
import { JobView } from './llm-job';
import { MemoryJobQueue } from './memory-job-queue';

/**
 * Reads a queued job wherever it lives (this process's memory queue first, then BullMQ) as the status
 * and results endpoints show it.
 */
@Injectable()
export class JobStatusStore {
  constructor(
    private readonly durable: BullJobQueue,
    private readonly memory: MemoryJobQueue,
    private readonly redis: RedisConnections,
  ) {}

  async find(queueId: string): Promise<JobView | undefined> {
    const local = await this.memory.find(queueId);
    if (local) return local;
    return this.redis.sharedOr(
      () => this.durable.find(queueId),
      // Not here, and where it would be cannot be asked: neither "not found" nor an answer.
      () => {
        throw new GatewayError('STORE_UNAVAILABLE', 'the queue store (Redis) is unreachable: retry shortly', {
          retryAfterSeconds: 5,
        });
      },
    );
  }
}
