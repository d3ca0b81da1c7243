import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@breakwater/config';
import {
  ChatCompletion,
  ChatCompletionChunk,
  EmbeddingList,
  EmbeddingRequest,
  FinishReason,
  embeddingInputs,
} from '@breakwater/contracts';
import { SchemaInstanceBoundError, schemaInstance } from '../json-schema-instance';
import { ProviderError } from '../provider-error';
import { completionChunks } from '../streaming/chunks';
import { estimatePromptTokens, estimateTokens, messageText } from '../token-estimate';
import { LlmProviderAdapter, ProviderRequest } from './llm-provider.adapter';
import { embeddingList, estimatedInputTokens } from './shared/embedding-mapping';

/** The mock's vector length when a request sets no `dimensions`. */
export const MOCK_EMBEDDING_DIMENSIONS = 8;
/** The longest vector the mock makes: OpenAI's largest model's length. */
export const MAX_MOCK_EMBEDDING_DIMENSIONS = 3072;

/**
 * The development provider: answers in-process with content derived from the messages, so the same
 * conversation always gets the same answer and different ones differ. `MOCK_LATENCY_MS` and
 * `MOCK_FAILURE_RATE` shape it; `max_tokens` truncates it with finish_reason `length`.
 */
@Injectable()
export class MockAdapter implements LlmProviderAdapter {
  readonly id = 'mock' as const;
  /** Off in production unless MOCK_PROVIDER_ENABLED=true: its answers are not a provider's. */
  readonly configured: boolean;

  constructor(private readonly config: AppConfig) {
    this.configured = config.mock.enabled;
  }

  async complete(request: ProviderRequest, signal: AbortSignal): Promise<ChatCompletion> {
    await this.behave(signal);
    return this.answer(request);
  }

  /**
   * The same answer in chunks of a few words, with usage last. MOCK_FAILURE_RATE fails the call before the
   * first chunk; MOCK_LATENCY_MS is spread evenly across the chunks, so a stream takes as long as a whole
   * answer and its first chunk comes early.
   */
  async *stream(request: ProviderRequest, signal: AbortSignal): AsyncGenerator<ChatCompletionChunk> {
    const { latencyMs } = this.config.mock;
    this.fail();
    const chunks = completionChunks(this.answer(request), { usage: true });
    const pause = latencyMs / chunks.length;
    for (const chunk of chunks) {
      if (pause > 0) await this.wait(pause, signal);
      yield chunk;
    }
  }

  private answer(request: ProviderRequest): ChatCompletion {
    const digest = createHash('sha256').update(JSON.stringify(request.messages)).digest('hex').slice(0, 12);
    const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
    const text = lastUser ? messageText(lastUser) : '';
    const { content, finishReason } = this.truncated(this.content(request, text, digest), request);
    const promptTokens = estimatePromptTokens(request.messages);
    const completionTokens = estimateTokens(content);
    return {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null },
          finish_reason: finishReason,
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
      system_fingerprint: 'breakwater-mock',
    };
  }

  /**
   * A unit vector per input, seeded by the input's SHA-256: the same text always gets the same vector,
   * different texts differ, and the length is `dimensions` (MOCK_EMBEDDING_DIMENSIONS by default).
   */
  async embed(request: EmbeddingRequest, signal: AbortSignal): Promise<EmbeddingList> {
    await this.behave(signal);
    const dimensions = request.dimensions ?? MOCK_EMBEDDING_DIMENSIONS;
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_MOCK_EMBEDDING_DIMENSIONS) {
      throw new ProviderError(
        'bad_request',
        `the mock makes vectors of 1 to ${MAX_MOCK_EMBEDDING_DIMENSIONS} dimensions, not ${dimensions}`,
        { status: 400 },
      );
    }
    const data = embeddingInputs(request).map((text, index) => ({
      object: 'embedding' as const,
      index,
      embedding: unitVector(text, dimensions),
    }));
    return embeddingList(request.model, data, estimatedInputTokens(request));
  }

  /** MOCK_LATENCY_MS and MOCK_FAILURE_RATE, as every call of the mock has them. */
  private async behave(signal: AbortSignal): Promise<void> {
    const { latencyMs } = this.config.mock;
    if (latencyMs > 0) await this.wait(latencyMs, signal);
    this.fail();
  }

  private async wait(ms: number, signal: AbortSignal): Promise<void> {
    await sleep(ms, undefined, { signal }).catch(() => {
      throw new ProviderError('transient', 'mock provider timed out');
    });
  }

  private fail(): void {
    const { failureRate } = this.config.mock;
    if (failureRate > 0 && Math.random() < failureRate) {
      throw new ProviderError('transient', 'mock provider failure (MOCK_FAILURE_RATE)', { status: 503 });
    }
  }

  private content(request: ProviderRequest, text: string, digest: string): string {
    const format = request.response_format;
    if (format?.type === 'json_schema') {
      try {
        return JSON.stringify(
          schemaInstance(format.json_schema.schema ?? { type: 'object' }, `mock-${digest}`),
        );
      } catch (error) {
        // Permanent: the same schema would cross the same bound on every retry.
        if (error instanceof SchemaInstanceBoundError) {
          throw new ProviderError('bad_request', `the mock cannot answer this schema: ${error.message}`, {
            status: 400,
          });
        }
        throw error;
      }
    }
    if (format?.type === 'json_object') return JSON.stringify({ answer: text, digest });
    return `mock-${digest}: ${text}`;
  }

  /** JSON answers are never cut (a cut would make them invalid); text answers honour max_tokens. */
  private truncated(
    content: string,
    request: ProviderRequest,
  ): { content: string; finishReason: FinishReason } {
    const limit = request.max_completion_tokens ?? request.max_tokens;
    const json = request.response_format && request.response_format.type !== 'text';
    if (limit === undefined || json || estimateTokens(content) <= limit)
      return { content, finishReason: 'stop' };
    return { content: content.slice(0, limit * 4), finishReason: 'length' };
  }
}

/** `dimensions` components in [-1, 1) drawn from SHA-256 blocks of the text, scaled to length 1. */
function unitVector(text: string, dimensions: number): number[] {
  const components: number[] = [];
  for (let block = 0; components.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}:${text}`).digest();
    for (let offset = 0; offset < digest.length && components.length < dimensions; offset += 4) {
      components.push(digest.readUInt32BE(offset) / 2 ** 31 - 1);
    }
  }
  const norm = Math.hypot(...components) || 1;
  return components.map((value) => value / norm);
}
