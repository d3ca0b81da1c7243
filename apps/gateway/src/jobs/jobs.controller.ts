import { Controller, Get, Param, ParseUUIDPipe, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { Caller, GatewayError, JobStatusBody } from '@breakwater/contracts';
import { JobStatusStore, JobView, LlmJobResult } from '@breakwater/queue';
import { CallerGuard } from '../auth/caller.guard';
import { ApiAnswer, ApiCaller, ApiContractErrors } from '../http/openapi';
import { RateLimitHeadersInterceptor } from '../http/rate-limit-headers.interceptor';
import { CurrentCaller } from '../auth/current-caller.decorator';

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
  constructor(private readonly jobs: JobStatusStore) {}

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
