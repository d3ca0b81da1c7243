import { Controller, Get, Param, ParseUUIDPipe, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { Caller, GatewayError, JobStatusBody } from '@breakwater/contracts';
import { JobStatusFeed, JobStatusStore, JobView, LlmJobResult } from '@breakwater/queue';
import { CallerGuard } from '../auth/caller.guard';
import { ApiAnswer, ApiCaller, ApiContractErrors, ApiEventStream } from '../http/openapi';
import { RateLimitHeadersInterceptor } from '../http/rate-limit-headers.interceptor';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { StatusEventStream } from './status-event-stream';
import {
  STATUS_STREAMS_PER_CALLER,
  STATUS_STREAMS_PER_PROCESS,
  STATUS_STREAM_HEARTBEAT_MS,
  STATUS_STREAM_MAX_MS,
  StatusStreams,
} from './status-streams';

/** How soon to poll again while a job is queued or processing. */
const POLL_AGAIN_SECONDS = 2;

const queueIdPipe = new ParseUUIDPipe({
  exceptionFactory: () => GatewayError.invalid('queue_id', 'queue_id must be a UUID'),
});

@ApiTags('jobs')
@ApiCaller()
@UseGuards(CallerGuard)
@UseInterceptors(RateLimitHeadersInterceptor)
@Controller('v1')
export class JobsController {
  constructor(
    private readonly jobs: JobStatusStore,
    private readonly feed: JobStatusFeed,
    private readonly streams: StatusStreams,
  ) {}

  @Get('status/:queue_id')
  @ApiParam({ name: 'queue_id', format: 'uuid' })
  @ApiAnswer(200, 'JobStatusBody', 'The queued request as it stands.')
  @ApiContractErrors('INVALID_REQUEST', 'NOT_FOUND', 'STORE_UNAVAILABLE')
  async status(
    @Param('queue_id', queueIdPipe) queueId: string,
    @CurrentCaller() caller: Caller,
  ): Promise<JobStatusBody> {
    return (await this.find(queueId, caller)).status;
  }

  /**
   * The status as server-sent events, driven by the queue's own events (any replica's or worker's), never
   * by polling here. Ownership and the stream caps are checked before the stream starts, so a refusal is
   * an ordinary JSON error.
   */
  @Get('status/:queue_id/events')
  @ApiParam({ name: 'queue_id', format: 'uuid' })
  @ApiEventStream(
    'A `text/event-stream`: `event: status` with the JobStatusBody at once and on every change (queued, ' +
      'processing, attempts, completed, failed, expired), closed after completed, failed or expired. A ' +
      `comment line every ${STATUS_STREAM_HEARTBEAT_MS / 1000} s; a stream lasts at most ` +
      `${STATUS_STREAM_MAX_MS / 60_000} min (reconnect to go on). At most ${STATUS_STREAMS_PER_CALLER} open ` +
      `streams per caller and ${STATUS_STREAMS_PER_PROCESS} per gateway process, else 429.`,
  )
  @ApiContractErrors('INVALID_REQUEST', 'NOT_FOUND', 'RATE_LIMITED', 'STORE_UNAVAILABLE')
  async events(
    @Param('queue_id', queueIdPipe) queueId: string,
    @CurrentCaller() caller: Caller,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.find(queueId, caller);
    let stream: StatusEventStream | undefined;
    const release = this.streams.open(caller.id, () => stream?.end());
    let unwatch: (() => void) | undefined;
    try {
      // Watch first, then read: a change between the two is then read again rather than missed.
      unwatch = await this.feed.watch(queueId, () => stream?.changed());
      const first = (await this.find(queueId, caller)).status;
      reply.hijack();
      // x-request-id and x-ratelimit-*, set on the reply before the handler ran.
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) reply.raw.setHeader(name, value);
      }
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
        // A stream's socket is not reused: once the stream ends, nothing holds the connection open.
        connection: 'close',
      });
      const stop = unwatch;
      stream = new StatusEventStream(
        reply.raw,
        async () => (await this.jobs.find(queueId))?.status,
        () => {
          stop();
          release();
        },
      );
      stream.start(first);
    } catch (error) {
      unwatch?.();
      release();
      throw error;
    }
  }

  /** completed 200 · queued/processing 202 with Retry-After · failed 502 · expired 410 · unknown or not yours 404. */
  @Get('results/:queue_id')
  @ApiParam({ name: 'queue_id', format: 'uuid' })
  @ApiAnswer(200, 'ChatCompletion', 'Completed: its answer.')
  @ApiAnswer(202, 'JobStatusBody', 'Queued or processing: poll again after Retry-After.', 'Retry-After')
  @ApiContractErrors('INVALID_REQUEST', 'NOT_FOUND', 'EXPIRED', 'PROVIDER_ERROR', 'STORE_UNAVAILABLE')
  async result(
    @Param('queue_id', queueIdPipe) queueId: string,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LlmJobResult | JobStatusBody> {
    const job = await this.find(queueId, caller);
    const { status } = job;
    switch (status.status) {
      case 'completed':
        if (!job.result) throw new GatewayError('INTERNAL', 'internal error');
        return job.result;
      case 'queued':
      case 'processing':
        reply.status(202).header('retry-after', String(POLL_AGAIN_SECONDS));
        return status;
      case 'expired':
        throw new GatewayError('EXPIRED', `queued request ${queueId} expired before it could be answered`);
      case 'failed':
        throw new GatewayError(
          'PROVIDER_ERROR',
          `queued request ${queueId} failed: ${status.error?.message ?? 'unknown error'}`,
        );
    }
  }

  private async find(queueId: string, caller: Caller): Promise<JobView> {
    const job = await this.jobs.find(queueId);
    if (!job || (job.callerId !== caller.id && caller.role !== 'admin')) {
      throw new GatewayError('NOT_FOUND', `no queued request ${queueId}`);
    }
    return job;
  }
}
