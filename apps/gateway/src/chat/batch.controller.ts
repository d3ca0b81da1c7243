import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { FastifyReply, FastifyRequest } from 'fastify';
import { flattenValidationErrors } from '@breakwater/config';
import { Caller, ChatCompletionRequest, GatewayError } from '@breakwater/contracts';
import { contractErrorOf, errorBody } from '@breakwater/http';
import { AppConfig } from '@breakwater/config';
import { CallerGuard } from '../auth/caller.guard';
import { CurrentCaller } from '../auth/current-caller.decorator';
import { clientGone } from '../http/client-gone';
import { ApiAnswer, ApiCaller, ApiCompletionHeaders, ApiContractErrors } from '../http/openapi';
import { ChatService, RequestContext } from './chat.service';
import { BatchRequestDto } from './dto/batch-request.dto';
import { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { chatBodyOf } from './dto/chat-body';
import { validationViewOf } from './dto/validation-view';
import { RequestDirectives, directivesOf } from './request-directives';

export interface BatchItemResult {
  status: number;
  body: unknown;
}

/** Items of one batch in flight at once, unless the caller's own concurrency limit is lower. */
const BATCH_PARALLELISM = 8;

@ApiTags('chat')
@ApiCaller()
@UseGuards(CallerGuard)
@Controller('v1')
export class BatchController {
  constructor(
    private readonly chat: ChatService,
    private readonly config: AppConfig,
  ) {}

  /** Each item answered as the single endpoint would, in order; the request headers apply to every item. */
  @Post('batch')
  @HttpCode(200)
  @ApiCompletionHeaders({ idempotent: false })
  @ApiAnswer(
    200,
    'BatchResults',
    'Each item answered as the single endpoint would (200, 202 or an error), in order.',
  )
  @ApiContractErrors('INVALID_REQUEST', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE')
  async run(
    @Body() body: BatchRequestDto,
    @CurrentCaller() caller: Caller,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ results: BatchItemResult[] }> {
    const directives = directivesOf(request.headers, this.config.callers.processingModes.get(caller.id));
    const signal = clientGone(reply);
    const parallelism = Math.min(BATCH_PARALLELISM, caller.limits.concurrency ?? BATCH_PARALLELISM);
    const results = await inParallel(body.requests, parallelism, (item, index) =>
      this.item(caller, item, index, directives, {
        requestId: request.id,
        signal,
        onRateLimit: (headers) => {
          reply.headers(headers);
        },
      }),
    );
    return { results };
  }

  private async item(
    caller: Caller,
    item: unknown,
    index: number,
    directives: RequestDirectives,
    context: RequestContext,
  ): Promise<BatchItemResult> {
    try {
      const body = await validItem(item, index);
      // An idempotency key names one request, not each item of a batch.
      const itemDirectives = { ...directives, idempotencyKey: undefined };
      const outcome = await this.chat.completeWhole(caller, body, itemDirectives, context);
      return outcome.kind === 'queued'
        ? { status: 202, body: outcome.accepted }
        : { status: 200, body: outcome.completion };
    } catch (exception) {
      const error = contractErrorOf(exception, this.config.http.maxBodyBytes, context.requestId, {
        batch_item: index,
      });
      return { status: error.status, body: errorBody(error, context.requestId) };
    }
  }
}

/** The item as the single endpoint's pipe would hand it on (chatBodyOf), once it is valid. */
async function validItem(item: unknown, index: number): Promise<ChatCompletionRequest> {
  const where = `requests[${index}]`;
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw GatewayError.invalid(where, `${where} must be a chat completion object`);
  }
  const body = chatBodyOf(item as Record<string, unknown>);
  const problems = flattenValidationErrors(
    await validate(plainToInstance(ChatCompletionRequestDto, validationViewOf(body))),
    where,
  );
  if (problems.length > 0) {
    throw GatewayError.invalid(problems[0].path, problems.map((problem) => problem.message).join('; '));
  }
  return body as unknown as ChatCompletionRequest;
}

/**
 * Runs `work` over `items` with at most `limit` in flight, keeping results in input order. (p-limit and
 * p-map do this but ship as ES modules only, which this CommonJS build cannot require.)
 */
async function inParallel<T, R>(
  items: T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
