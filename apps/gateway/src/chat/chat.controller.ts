import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Caller, ChatCompletion, ChatCompletionRequest } from '@breakwater/contracts';
import { requestLogFields } from '@breakwater/observability';
import { CallerGuard } from '../auth/caller.guard';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { ChatService } from './chat.service';
import { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { directivesOf } from './request-directives';
import { clientGone } from '../http/client-gone';

@ApiTags('chat')
@ApiBearerAuth()
@ApiSecurity('x-api-key')
@UseGuards(CallerGuard)
@Controller('v1')
export class ChatController {
  constructor(private readonly chat: ChatService) {}

  @Post('chat/completions')
  @HttpCode(200)
  @ApiOkResponse({ description: 'An OpenAI chat.completion object.' })
  async create(
    @Body() body: ChatCompletionRequestDto,
    @CurrentCaller() caller: Caller,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ChatCompletion> {
    const outcome = await this.chat.complete(
      caller,
      body as ChatCompletionRequest,
      directivesOf(request.headers),
      clientGone(reply),
    );
    reply.header('x-provider', outcome.provider).header('x-model', outcome.model);
    Object.assign(requestLogFields(request.raw), {
      provider: outcome.provider,
      model: outcome.model,
      tokens_in: outcome.completion.usage.prompt_tokens,
      tokens_out: outcome.completion.usage.completion_tokens,
      cost_usd: outcome.costUsd,
    });
    return outcome.completion;
  }
}
