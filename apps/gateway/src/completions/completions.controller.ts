import { Readable } from 'node:stream';
import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '@breakwater/config';
import { AcceptedBody, Caller } from '@breakwater/contracts';
import { CallerGuard } from '../auth/caller.guard';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { requestContextOf, respond } from '../chat/chat.controller';
import { ChatService } from '../chat/chat.service';
import { directivesOf } from '../chat/request-directives';
import { SseBody } from '../chat/sse-body';
import {
  ApiCaller,
  ApiCompletionHeaders,
  ApiCompletionOutcomes,
  ApiEventStreamAnswer,
} from '../http/openapi';
import { CreateCompletionDto } from './dto/create-completion.dto';
import { TextCompletion, textChunkOf, textCompletionOf } from '@breakwater/completion';
import { chatRequestOf } from './completion-request.mapper';

/** OpenAI's legacy completions: the prompt as one user message on the chat path, the answer as text. */
@ApiTags('completions')
@ApiCaller()
@UseGuards(CallerGuard)
@Controller('v1')
export class CompletionsController {
  constructor(
    private readonly chat: ChatService,
    private readonly config: AppConfig,
  ) {}

  @Post('completions')
  @HttpCode(200)
  @ApiCompletionHeaders({ idempotent: true })
  @ApiEventStreamAnswer(
    'TextCompletion',
    'TextCompletionChunk',
    'data: {"id":"cmpl-1","object":"text_completion","created":1764460800,"model":"mock/echo","choices":[{"index":0,"text":"Hi","finish_reason":null,"logprobs":null}]}\n\ndata: [DONE]\n\n',
    'Answered, from the cache or a provider; with `stream: true`, as `text_completion` chunks ending with `data: [DONE]`.',
    'x-cache',
    'x-provider',
    'x-model',
    'x-breakwater-dropped-params',
  )
  @ApiCompletionOutcomes('a text_completion')
  async create(
    @Body() body: CreateCompletionDto,
    @CurrentCaller() caller: Caller,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TextCompletion | AcceptedBody | Readable> {
    const chatRequest = chatRequestOf(body);
    const includeUsage = chatRequest.stream_options?.include_usage === true;
    const outcome = await this.chat.complete(
      caller,
      chatRequest,
      directivesOf(request.headers, this.config.callers.processingModes.get(caller.id)),
      {
        ...requestContextOf(request, reply),
        streamBody: () => new SseBody(includeUsage, request.id, textChunkOf),
        answerShape: { kind: 'text_completion' },
      },
    );
    return respond(outcome, chatRequest, request, reply, textCompletionOf);
  }
}
