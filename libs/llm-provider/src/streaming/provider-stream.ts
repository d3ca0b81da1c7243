import {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionUsage,
  ErrorCode,
  ProviderId,
} from '@breakwater/contracts';
import { ModelRoute } from '../model-router';
import { ProviderError } from '../provider-error';
import type { ProviderAnswer } from '../provider-caller';
import type { StreamMeasure } from '../provider-metrics';
import { StructuredOutput } from '../structured-output';
import { estimatePromptTokens } from '../token-estimate';
import { ChunkAssembler } from './chunks';

/**
 * A stream that broke after its first chunk reached the caller: the provider failed midway, the client
 * left, or the whole answer failed its response_format. Never a GatewayError, on purpose: bytes are out,
 * so nothing may answer in its place (no stale entry, no fallback, no queue); the stream ends with an
 * error event carrying `code` and `message`.
 */
export class StreamInterruptedError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StreamInterruptedError';
  }
}

/** An opened stream: the upstream iterator and its first chunk, as one attempt produced them. */
export interface OpenedStream {
  iterator: AsyncIterator<ChatCompletionChunk>;
  first: ChatCompletionChunk;
  measure: StreamMeasure;
  /** Lets go of the attempt's listeners once the stream is over. */
  release(): void;
}

/**
 * A provider's streamed answer after its first chunk: iterate `chunks` for the chunks (model as
 * `provider/model`, the provider's usage chunk held back); once they are all through, `answer` is the
 * assembled completion, priced and checked against the response_format. Until then `spent()` says what
 * the chunks so far cost, for a client that leaves midway.
 */
export class ProviderStream {
  readonly provider: ProviderId;
  readonly model: string;
  private readonly assembler = new ChunkAssembler();
  private finished?: ProviderAnswer;

  constructor(
    private readonly route: ModelRoute,
    private readonly request: ChatCompletionRequest,
    private readonly opened: OpenedStream,
    readonly attempts: number,
    private readonly structured: StructuredOutput,
    private readonly price: (usage: ChatCompletionUsage) => number,
  ) {
    this.provider = route.provider;
    this.model = route.model;
  }

  /** The whole answer; only once `chunks` ended without throwing. */
  get answer(): ProviderAnswer {
    if (!this.finished) throw new Error('the stream has not ended');
    return this.finished;
  }

  /** What the chunks so far cost: reported usage if it came, else an estimate of what was received. */
  spent(): { tokens: number; costUsd: number; usage: ChatCompletionUsage } {
    const usage = this.usageSoFar();
    return { tokens: usage.total_tokens, costUsd: this.price(usage), usage };
  }

  async *chunks(): AsyncGenerator<ChatCompletionChunk> {
    const { iterator, measure } = this.opened;
    const gatewayModel = `${this.provider}/${this.model}`;
    let done = false;
    try {
      let next: IteratorResult<ChatCompletionChunk> = { done: false, value: this.opened.first };
      while (!next.done) {
        const chunk = next.value;
        this.assembler.add(chunk);
        measure.chunk();
        if (chunk.choices.length > 0) yield { ...chunk, model: gatewayModel, usage: undefined };
        next = await iterator.next();
      }
      done = true;
    } catch (error) {
      measure.failed(error);
      throw interrupted(this.provider, error);
    } finally {
      if (!done) {
        // Left early (the consumer stopped) or broken: the upstream connection goes too.
        measure.failed(new ProviderError('transient', 'stream left before its end'));
        await iterator.return?.().catch(() => undefined);
      }
      this.opened.release();
    }
    if (!this.assembler.finished) {
      measure.failed(new ProviderError('transient', 'no finish reason'));
      throw new StreamInterruptedError(
        'PROVIDER_UNAVAILABLE',
        `provider "${this.provider}" ended the stream before it finished`,
      );
    }
    const usage = this.usageSoFar();
    const costUsd = measure.ended(usage);
    const completion = { ...this.assembler.completion(usage), model: gatewayModel };
    const check = this.structured.check(
      this.request.response_format,
      completion.choices[0]?.message.content ?? null,
    );
    if (!check.ok) {
      throw new StreamInterruptedError(
        'PROVIDER_ERROR',
        `provider "${this.provider}" answered without matching response_format: ${check.problem}`,
      );
    }
    this.finished = {
      completion,
      provider: this.provider,
      model: this.model,
      costUsd,
      attempts: this.attempts,
    };
  }

  private usageSoFar(): ChatCompletionUsage {
    const reported = this.assembler.usage;
    if (reported) return reported;
    const prompt = estimatePromptTokens(this.request.messages);
    const completion = Math.ceil(this.assembler.receivedCharacters / 4);
    return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  }
}

function interrupted(provider: ProviderId, error: unknown): StreamInterruptedError {
  if (error instanceof StreamInterruptedError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ProviderError && !error.retryable ? 'PROVIDER_ERROR' : 'PROVIDER_UNAVAILABLE';
  return new StreamInterruptedError(code, `provider "${provider}" failed midway: ${message}`, {
    cause: error,
  });
}
