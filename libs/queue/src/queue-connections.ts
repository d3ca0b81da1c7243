import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { RedisOptions } from 'ioredis';
import { AppConfig } from '@breakwater/config';
import { ChatCompletion } from '@breakwater/contracts';
import { bullConnection } from './bull-connection';
import { LlmJobData } from './llm-job';
import { quietAfterClose } from './quiet-after-close';
import { LLM_QUEUE, WEBHOOK_QUEUE } from './queue.constants';
import { WebhookDelivery } from './webhooks/webhook-sender';

/**
 * The producers' BullMQ queues, on fail-fast connections. Built here rather than by @nestjs/bullmq's
 * registerQueue because closing must not throw while Redis is down: BullMQ's close() sends QUIT, which a
 * connection without an offline queue rejects when Redis is gone, and @nestjs/bullmq leaves that
 * rejection unhandled in the middle of a shutdown. Here it is caught.
 *
 * Each queue is opened on first use, and every caller uses them only while Redis is reachable, so a
 * process that never reaches Redis opens no BullMQ connection to spin and close. (A queue closed while
 * its start-up is still pending is guarded by quietAfterClose.)
 */
@Injectable()
export class QueueConnections implements OnApplicationShutdown {
  private readonly connection: RedisOptions;
  private llmQueue?: Queue<LlmJobData, ChatCompletion>;
  private webhookQueue?: Queue<WebhookDelivery>;

  constructor(config: AppConfig) {
    this.connection = bullConnection(config.redis.url, 'producer');
  }

  get llm(): Queue<LlmJobData, ChatCompletion> {
    return (this.llmQueue ??= this.open(new Queue<LlmJobData, ChatCompletion>(LLM_QUEUE, this.options())));
  }

  get webhooks(): Queue<WebhookDelivery> {
    return (this.webhookQueue ??= this.open(new Queue<WebhookDelivery>(WEBHOOK_QUEUE, this.options())));
  }

  async onApplicationShutdown(): Promise<void> {
    const open = [this.llmQueue, this.webhookQueue].filter((queue) => queue !== undefined);
    await Promise.all(open.map((queue) => queue.close().catch(() => undefined)));
  }

  private options(): { connection: RedisOptions } {
    return { connection: this.connection };
  }

  private open<Q extends Queue>(queue: Q): Q {
    // An unhandled 'error' event would crash the process; RedisConnections already reports outages.
    queue.on('error', () => undefined);
    return quietAfterClose(queue);
  }
}
