import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '@breakwater/config';
import { Caller, EmbeddingList, EncodedEmbeddingList } from '@breakwater/contracts';
import { CallerGuard } from '../auth/caller.guard';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { directivesOf } from '../chat/request-directives';
import { markAnswered } from '../http/answered-by';
import { clientGone } from '../http/client-gone';
import { ApiAnswer, ApiCaller, ApiContractErrors } from '../http/openapi';
import { EmbeddingRequestDto } from './dto/embedding-request.dto';
import { encodedEmbeddings } from './embedding-encoding';
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
  @ApiAnswer(200, 'EmbeddingList', 'Embedded by the provider.', 'x-provider', 'x-model')
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
  )
  async create(
    @Body() body: EmbeddingRequestDto,
    @CurrentCaller() caller: Caller,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<EmbeddingList | EncodedEmbeddingList> {
    const directives = directivesOf(request.headers, this.config.callers.processingModes.get(caller.id));
    const outcome = await this.embeddings.embed(caller, body, directives, {
      signal: clientGone(reply),
      onRateLimit: (headers) => {
        reply.headers(headers);
      },
    });
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
