import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectQueue } from '@nestjs/bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import { FastifyInstance } from 'fastify';
import { LLM_PRODUCER, WEBHOOK_PRODUCER } from '@breakwater/queue';
import { BOARD_ROUTE, BoardAccess } from './board-access';

/**
 * Bull Board over the BullMQ queues (the LLM jobs and the webhooks), for admin callers only (see
 * BoardAccess). Wired with @bull-board/api and its Fastify adapter rather than @bull-board/nestjs: that
 * package loads the hoisted @nestjs/bull-shared 12, an ES module that Jest's CommonJS runtime cannot
 * load, and its `middleware` option guards the exact route only.
 */
@Module({ providers: [BoardAccess] })
export class BoardModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @InjectQueue(LLM_PRODUCER) private readonly llm: Queue,
    @InjectQueue(WEBHOOK_PRODUCER) private readonly webhooks: Queue,
  ) {}

  onModuleInit(): void {
    const server = new FastifyAdapter();
    server.setBasePath(BOARD_ROUTE);
    createBullBoard({
      queues: [new BullMQAdapter(this.llm), new BullMQAdapter(this.webhooks)],
      serverAdapter: server,
      options: { uiConfig: { boardTitle: 'Breakwater' } },
    });
    void this.adapterHost.httpAdapter
      .getInstance<FastifyInstance>()
      .register(server.registerPlugin(), { prefix: BOARD_ROUTE });
  }
}
