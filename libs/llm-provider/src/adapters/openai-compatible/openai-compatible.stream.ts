import type { ChatCompletionChunk as OpenAiChunk } from 'openai/resources/chat/completions';
import { ChatCompletionChunk, ChatCompletionChunkChoice, FinishReason } from '@breakwater/contracts';
import { ProviderError, providerErrorFromStatus } from '../../provider-error';
import { ServerSentEvent } from '../shared/provider-transport';
import { redact } from '../shared/sdk-error';
import { providerText } from './openai-compatible.response';

const FINISH_REASONS: readonly string[] = ['stop', 'length', 'tool_calls', 'content_filter', 'function_call'];

/**
 * OpenAI's chat-completions stream (also DeepSeek's and OpenRouter's) as the contract's chunks: each
 * `data:` event is a chunk, passed through with the fields the contract knows and the provider's own
 * extensions left as they came (DeepSeek's `reasoning_content`), until `data: [DONE]`. An `error` event
 * (OpenRouter reports an upstream failure after the first byte that way) and a choice finishing with
 * `error` are thrown; a stream that ends without `[DONE]` is truncated and thrown as transient.
 */
export async function* openAiChunks(
  events: AsyncIterable<ServerSentEvent>,
  apiKey?: string,
): AsyncGenerator<ChatCompletionChunk> {
  for await (const { data } of events) {
    if (data === '[DONE]') return;
    const chunk = parsedChunk(data);
    const failure = (chunk as { error?: { code?: unknown; message?: unknown } }).error;
    if (failure) {
      const status = typeof failure.code === 'number' ? failure.code : 502;
      throw providerErrorFromStatus(
        status,
        redact(providerText(failure.message) ?? 'provider error', apiKey),
      );
    }
    if (chunk.choices?.some((choice) => (choice.finish_reason as string) === 'error')) {
      throw new ProviderError(
        'transient',
        'the upstream model failed while generating (finish_reason "error")',
      );
    }
    yield toChunk(chunk);
  }
  throw new ProviderError('transient', 'the stream ended before data: [DONE]');
}

function parsedChunk(data: string): OpenAiChunk {
  try {
    const value: unknown = JSON.parse(data);
    if (value && typeof value === 'object') return value as OpenAiChunk;
  } catch {
    // reported below
  }
  throw new ProviderError('transient', 'the stream sent an event that is not a JSON chunk');
}

function toChunk(chunk: OpenAiChunk): ChatCompletionChunk {
  return {
    ...(chunk as unknown as ChatCompletionChunk),
    object: 'chat.completion.chunk',
    choices: (chunk.choices ?? []).map((choice): ChatCompletionChunkChoice => ({
      ...(choice as unknown as ChatCompletionChunkChoice),
      delta: (choice.delta ?? {}) as ChatCompletionChunkChoice['delta'],
      finish_reason: finishReasonOf(choice.finish_reason),
    })),
  };
}

function finishReasonOf(reason: string | null | undefined): FinishReason | null {
  if (reason === null || reason === undefined) return null;
  return FINISH_REASONS.includes(reason) ? (reason as FinishReason) : 'stop';
}
