import { DynamicModule, Module, Provider } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { CompletionModule } from '@breakwater/completion';
import { ReadinessGate } from '@breakwater/health';
import { RateLimitModule } from '@breakwater/rate-limit';
import { RedisConnections } from '@breakwater/redis';
import { bullConnection } from './bull-connection';
import { BullJobQueue } from './bull-job-queue';
import { JobEvents } from './job-events';
import { JobStatusFeed } from './job-status-feed';
import { JobStatusStore } from './job-status.store';
import { LlmJobProcessor } from './llm-job.processor';
import { LlmJobRunner } from './llm-job.runner';
import { LlmQueueProducer } from './llm-queue.producer';
import { MemoryJobQueue } from './memory-job-queue';
import {
  LLM_PRODUCER,
  LLM_QUEUE,
  PRODUCER_CONNECTION,
  WEBHOOK_PRODUCER,
  WEBHOOK_QUEUE,
} from './queue.constants';
import { ShutdownSafeQueue } from './shutdown-safe-queue';
import { DnsHostResolver } from './webhooks/dns-host-resolver';
import { HostResolver } from './webhooks/host-resolver';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher';
import { WebhookProcessor } from './webhooks/webhook.processor';
import { WebhookSender } from './webhooks/webhook-sender';
import { WebhookTargets } from './webhooks/webhook-targets';

export interface QueueModuleOptions {
  /** Run the BullMQ workers in this process (the worker app; the gateway when RUN_WORKERS=true). */
  processing: boolean;
}

/**
 * Connections: the producers' queues fail fast (a Redis outage turns into the local queue at once),
 * the workers are patient (they pick up again when Redis returns). See PRODUCER_CONNECTION.
 */
function bullModules(): { connections: DynamicModule[]; producers: DynamicModule } {
  BullModule.queueClass = ShutdownSafeQueue;
  const connection = (role: 'producer' | 'worker') => ({
    inject: [RedisConnections],
    useFactory: (redis: RedisConnections) => bullConnection(redis, role),
  });
  return {
    connections: [
      BullModule.forRootAsync(connection('worker')),
      BullModule.forRootAsync(PRODUCER_CONNECTION, connection('producer')),
    ],
    producers: BullModule.registerQueueAsync(
      { name: LLM_PRODUCER, configKey: PRODUCER_CONNECTION, useFactory: () => ({ name: LLM_QUEUE }) },
      { name: WEBHOOK_PRODUCER, configKey: PRODUCER_CONNECTION, useFactory: () => ({ name: WEBHOOK_QUEUE }) },
    ),
  };
}

/** Imported once per app (global): the gateway with processing = RUN_WORKERS, the worker with processing on. */
@Module({})
export class QueueModule {
  static forRoot(options: QueueModuleOptions): DynamicModule {
    const workers: Provider[] = options.processing ? [LlmJobProcessor, WebhookProcessor] : [];
    const { connections, producers } = bullModules();
    return {
      module: QueueModule,
      global: true,
      imports: [CompletionModule, RateLimitModule, ...connections, producers],
      providers: [
        JobEvents,
        LlmJobRunner,
        BullJobQueue,
        MemoryJobQueue,
        LlmQueueProducer,
        JobStatusStore,
        JobStatusFeed,
        { provide: HostResolver, useClass: DnsHostResolver },
        WebhookTargets,
        WebhookSender,
        WebhookDispatcher,
        { provide: ReadinessGate, useExisting: LlmQueueProducer },
        ...workers,
      ],
      exports: [LlmQueueProducer, JobStatusStore, JobStatusFeed, WebhookTargets, producers],
    };
  }
}
