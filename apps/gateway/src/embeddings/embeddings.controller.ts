import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { encodedEmbeddings } from '@breakwater/completion';
import { AppConfig } from '@breakwater/config';
import { AcceptedBody, Caller, EmbeddingList, EncodedEmbeddingList } from '@breakwater/contracts';
import { requestLogFields } from '@breakwater/observability';
import { CallerGuard } from '../auth/caller.guard';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { directivesOf } from '../chat/request-directives';
import { markAnswered } from '../http/answered-by';
import { clientGone } from '../http/client-gone';
import { ApiAnswer, ApiCaller, ApiContractErrors } from '../http/openapi';
import { EmbeddingRequestDto } from './dto/embedding-request.dto';
import { EmbeddingsService } from './embeddings.service';

@ApiTags('embeddings')
@ApiCaller()
@UseGuards(CallerGuard)
@Controller('v1')
export class EmbeddingsController {
  constructor(
    private readonly embeddings: EmbeddingsService,
    private readonly config: AppConfig,
  ) {}

  @Post('embeddings')
  @HttpCode(200)
  @ApiAnswer(
    200,
    'EmbeddingList',
    'Embedded, from the cache or a provider.',
    'x-cache',
    'x-provider',
    'x-model',
  )
  @ApiAnswer(
    202,
    'AcceptedBody',
    'Queued: the provider is unavailable (queue_if_unavailable) or x-processing-mode is async; the result is the embedding list.',
    'x-cache',
    'Location',
    'Retry-After',
  )
  @ApiContractErrors(
    'INVALID_REQUEST',
    'FORBIDDEN',
    'PROVIDER_NOT_CONFIGURED',
    'PAYLOAD_TOO_LARGE',
    'UNSUPPORTED_MEDIA_TYPE',
    'RATE_LIMITED',
    'BUDGET_EXCEEDED',
    'PROVIDER_ERROR',
    'PROVIDER_UNAVAILABLE',
    'QUEUE_FULL',
  )
  async create(
    @Body() body: EmbeddingRequestDto,
    @CurrentCaller() caller: Caller,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<EmbeddingList | EncodedEmbeddingList | AcceptedBody> {
    const directives = directivesOf(request.headers, this.config.callers.processingModes.get(caller.id));
    const outcome = await this.embeddings.embed(caller, body, directives, {
      requestId: request.id,
      signal: clientGone(reply),
      onRateLimit: (headers) => {
        reply.headers(headers);
      },
      onCacheStatus: (status) => {
        reply.header('x-cache', status);
        requestLogFields(request.raw).cache = CACHE_LOG_VALUES[status];
      },
      onRoute: ({ provider, model }) => Object.assign(requestLogFields(request.raw), { provider, model }),
    });
    if (outcome.kind === 'queued') {
      const { accepted } = outcome;
      reply
        .status(202)
        .header('location', accepted.status_url)
        .header('retry-after', String(outcome.retryAfterSeconds));
      requestLogFields(request.raw).queue_id = accepted.queue_id;
      return accepted;
    }
    markAnswered(request, reply, {
      provider: outcome.provider,
      model: outcome.model,
      tokensIn: outcome.embeddings.usage.prompt_tokens,
      tokensOut: 0,
      costUsd: outcome.costUsd,
    });
    return encodedEmbeddings(outcome.embeddings, body.encoding_format);
  }
}

const CACHE_LOG_VALUES = { HIT: 'hit', MISS: 'miss', BYPASS: 'bypass', STALE: 'stale' } as const;
