import { Readable } from 'node:stream';
import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '@breakwater/config';
import { AcceptedBody, Caller, ChatCompletion, ChatCompletionRequest } from '@breakwater/contracts';
import { droppedParams } from '@breakwater/llm-provider';
import { requestLogFields } from '@breakwater/observability';
import { CallerGuard } from '../auth/caller.guard';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { markAnswered, markAnsweredBy, markSpent } from '../http/answered-by';
import { clientGone } from '../http/client-gone';
import { ApiCaller, ApiCompletionHeaders, ApiCompletionOutcomes, ApiStreamableAnswer } from '../http/openapi';
import { ChatOutcome, ChatService, RequestContext } from './chat.service';
import { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { directivesOf } from './request-directives';

@ApiTags('chat')
@ApiCaller()
@UseGuards(CallerGuard)
@Controller('v1')
export class ChatController {
  constructor(
    private readonly chat: ChatService,
    private readonly config: AppConfig,
  ) {}

  @Post('chat/completions')
  @HttpCode(200)
  @ApiCompletionHeaders({ idempotent: true })
  @ApiStreamableAnswer(
    'ChatCompletion',
    'ChatCompletionChunk',
    'Answered, from the cache or a provider; with `stream: true`, as server-sent events whose headers go out before the first chunk.',
    'x-cache',
    'x-provider',
    'x-model',
    'x-breakwater-dropped-params',
  )
  @ApiCompletionOutcomes('a chat.completion')
  async create(
    @Body() body: ChatCompletionRequestDto,
    @CurrentCaller() caller: Caller,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ChatCompletion | AcceptedBody | Readable> {
    const outcome = await this.chat.complete(
      caller,
      body,
      directivesOf(request.headers, this.config.callers.processingModes.get(caller.id)),
      requestContextOf(request, reply),
    );
    return respond(outcome, body, request, reply, (completion) => completion);
  }
}

const CACHE_LOG_VALUES = { HIT: 'hit', MISS: 'miss', BYPASS: 'bypass', STALE: 'stale' } as const;

/** What a completion request tells the chat path about its HTTP exchange: headers, log fields, the client leaving. */
export function requestContextOf(request: FastifyRequest, reply: FastifyReply): RequestContext {
  return {
    requestId: request.id,
    signal: clientGone(reply),
    onRateLimit: (headers) => {
      reply.headers(headers);
    },
    onRoute: ({ provider, model }) => Object.assign(requestLogFields(request.raw), { provider, model }),
    onCacheStatus: (status) => {
      reply.header('x-cache', status);
      requestLogFields(request.raw).cache = CACHE_LOG_VALUES[status];
    },
    onStreamEnd: (end) => {
      const log = requestLogFields(request.raw);
      log.cache = CACHE_LOG_VALUES[end.cache];
      if (end.tokensIn !== undefined) {
        markSpent(request, {
          tokensIn: end.tokensIn,
          tokensOut: end.tokensOut ?? 0,
          costUsd: end.costUsd ?? 0,
        });
      }
      if (end.error) {
        log.error_code = end.error.code;
        log.stream_error = end.error.message;
      }
    },
  };
}

/**
 * Writes an outcome's status, headers and log fields, and returns its body; a whole answer in the
 * endpoint's shape (`answerOf`: the chat completion itself for chat).
 */
export function respond<Answer>(
  outcome: ChatOutcome,
  body: ChatCompletionRequest,
  request: FastifyRequest,
  reply: FastifyReply,
  answerOf: (completion: ChatCompletion) => Answer,
): Answer | AcceptedBody | Readable {
  const log = requestLogFields(request.raw);
  if (outcome.kind === 'streamed') {
    markAnsweredBy(request, reply, {
      provider: outcome.provider,
      model: outcome.model,
      droppedParams: droppedParams(outcome.provider, outcome.model, body),
    });
    reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-accel-buffering', 'no');
    log.stream = true;
    log.ttft_ms = Math.round(reply.elapsedTime);
    return outcome.body;
  }
  if (outcome.kind === 'queued') {
    const { accepted } = outcome;
    reply
      .status(202)
      .header('location', accepted.status_url)
      .header('retry-after', String(outcome.retryAfterSeconds));
    log.queue_id = accepted.queue_id;
    log.error_code = outcome.errorCode;
    return accepted;
  }
  markAnswered(request, reply, {
    provider: outcome.provider,
    model: outcome.model,
    tokensIn: outcome.completion.usage.prompt_tokens,
    tokensOut: outcome.completion.usage.completion_tokens,
    costUsd: outcome.costUsd,
    droppedParams: droppedParams(outcome.provider, outcome.model, body),
  });
  return answerOf(outcome.completion);
}
