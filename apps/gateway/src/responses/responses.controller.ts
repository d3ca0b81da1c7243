import { Readable } from 'node:stream';
import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import type { Response } from 'openai/resources/responses/responses';
import { responseOf } from '@breakwater/completion';
import { AppConfig } from '@breakwater/config';
import { AcceptedBody, Caller } from '@breakwater/contracts';
import { CallerGuard } from '../auth/caller.guard';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { requestContextOf, respond } from '../chat/chat.controller';
import { ChatService } from '../chat/chat.service';
import { directivesOf } from '../chat/request-directives';
import {
  ApiCaller,
  ApiCompletionHeaders,
  ApiCompletionOutcomes,
  ApiEventStreamAnswer,
} from '../http/openapi';
import { CreateResponseDto } from './dto/create-response.dto';
import { ResponseEventBody } from './response-event-body';
import { chatRequestOf } from './response-request.mapper';
import { responseHeadOf } from './response-head';

/** OpenAI's Responses API, stateless: each request is mapped to a chat request and walks the chat path. */
@ApiTags('responses')
@ApiCaller()
@UseGuards(CallerGuard)
@Controller('v1')
export class ResponsesController {
  constructor(
    private readonly chat: ChatService,
    private readonly config: AppConfig,
  ) {}

  @Post('responses')
  @HttpCode(200)
  @ApiCompletionHeaders({ idempotent: true })
  @ApiEventStreamAnswer(
    'Response',
    'ResponseStreamEvent',
    'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi","logprobs":[],"sequence_number":4}\n\n',
    'Answered, from the cache or a provider; with `stream: true`, as the Responses event stream (`event: <type>` and `data: <event>` with its sequence_number, ending with response.completed, response.incomplete or response.failed).',
    'x-cache',
    'x-provider',
    'x-model',
    'x-breakwater-dropped-params',
  )
  @ApiCompletionOutcomes('the response object')
  async create(
    @Body() body: CreateResponseDto,
    @CurrentCaller() caller: Caller,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Response | AcceptedBody | Readable> {
    const chatRequest = chatRequestOf(body);
    // Made once: a queued request's result is built on it too, so its id is the one a stream would name.
    const head = responseHeadOf(body);
    const outcome = await this.chat.complete(
      caller,
      chatRequest,
      directivesOf(request.headers, this.config.callers.processingModes.get(caller.id)),
      {
        ...requestContextOf(request, reply),
        streamBody: () => new ResponseEventBody(head),
        answerShape: { kind: 'response', head },
      },
    );
    return respond(outcome, chatRequest, request, reply, (completion) => responseOf(completion, head));
  }
}
