import { PassThrough, Readable } from 'node:stream';
import { ChatCompletion, ChatCompletionChunk, GatewayError } from '@breakwater/contracts';
import { errorBody } from '@breakwater/http';
import { completionChunks } from '@breakwater/llm-provider';

/**
 * What a streamed answer is written into: each chunk as it comes, a whole answer replayed, the end of a
 * live stream, or its failure after the first chunk. SseBody writes chat chunks; another endpoint (the
 * Responses API, legacy completions) gives its own through `RequestContext.streamBody`.
 */
export interface StreamBody {
  readonly stream: Readable;
  chunk(chunk: ChatCompletionChunk): void;
  replay(completion: ChatCompletion): void;
  finish(completion: ChatCompletion): void;
  fail(error: GatewayError): void;
}

/**
 * The body of a streamed answer, as OpenAI writes it: one `data: <chunk>` event per chunk, the usage
 * chunk when the request asked for it (`stream_options.include_usage`), then `data: [DONE]`; a failure
 * after the first chunk is an `{"error": {...}}` event (the contract's error body) before `[DONE]`.
 * Writes after the client has gone are dropped. `shape` writes each chunk in another endpoint's chunk
 * shape (legacy completions' `text_completion`); by default a chunk is written as it is.
 */
export class SseBody implements StreamBody {
  private readonly out = new PassThrough();

  constructor(
    private readonly includeUsage: boolean,
    private readonly requestId: string,
    private readonly shape: (chunk: ChatCompletionChunk) => unknown = (chunk) => chunk,
  ) {}

  get stream(): Readable {
    return this.out;
  }

  chunk(chunk: ChatCompletionChunk): void {
    this.event(this.shape(chunk));
  }

  /** A whole answer (from the cache, or a twin request's stream) sent as chunks, and the end. */
  replay(completion: ChatCompletion): void {
    for (const chunk of completionChunks(completion, { usage: this.includeUsage })) this.chunk(chunk);
    this.done();
  }

  /** The end of a live stream: its usage chunk if asked for, then `[DONE]`. */
  finish(completion: ChatCompletion): void {
    if (this.includeUsage) {
      this.chunk({
        id: completion.id,
        object: 'chat.completion.chunk',
        created: completion.created,
        model: completion.model,
        choices: [],
        usage: completion.usage,
        system_fingerprint: completion.system_fingerprint ?? null,
      });
    }
    this.done();
  }

  fail(error: GatewayError): void {
    this.event(errorBody(error, this.requestId));
    this.done();
  }

  private event(value: unknown): void {
    if (this.out.writable) this.out.write(`data: ${JSON.stringify(value)}\n\n`);
  }

  private done(): void {
    if (this.out.writable) this.out.end('data: [DONE]\n\n');
  }
}
