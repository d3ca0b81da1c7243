import type { Message, MessageDeltaUsage, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import {
  ChatCompletionChunk,
  ChatCompletionChunkChoice,
  ChatCompletionUsage,
  FinishReason,
} from '@breakwater/contracts';
import { ProviderError, providerErrorFromStatus } from '../../provider-error';
import { completionUsage, createdNow } from '../shared/completion-mapping';
import { ServerSentEvent } from '../shared/provider-transport';
import { redact } from '../shared/sdk-error';
import { anthropicFinishReason, anthropicPromptTokens } from './anthropic.response';

/** The HTTP status Anthropic gives each error type, so an in-stream `error` event sorts as its HTTP twin would. */
const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** What a content block of the stream becomes: answer text, one of the caller's tool calls, or nothing. */
type Block =
  | { kind: 'text' }
  | { kind: 'structured'; sent: boolean }
  | { kind: 'tool'; index: number; sent: boolean }
  | { kind: 'other' };

/**
 * Anthropic's Messages stream as the contract's chunks. `message_start` gives the id, the model and the
 * input tokens, and becomes the first chunk (the assistant role); text deltas become content, a tool_use
 * block of the caller's tools becomes a tool call (named first, then its input JSON in pieces), and the
 * forced tool carrying a `response_format` answer (`structuredTool`) becomes content, as the non-streamed
 * answer gives that tool's input as its text. Text blocks of a structured answer are left out: the text
 * cannot wait until the tool shows, and the non-streamed answer drops them too. `message_delta`
 * gives the stop reason (a chunk with finish_reason) and the output tokens, `message_stop` ends the
 * answer with the usage chunk. An `error` event is thrown as its HTTP status would be; a stream that ends
 * without `message_stop` was cut and is thrown as transient. Thinking, citations and server tools have no
 * place in a chat.completion.chunk and are left out.
 */
export async function* anthropicChunks(
  events: AsyncIterable<ServerSentEvent>,
  structuredTool?: string,
  apiKey?: string,
): AsyncGenerator<ChatCompletionChunk> {
  let message: Message | undefined;
  let usage: MessageDeltaUsage | undefined;
  let created = 0;
  let finish: FinishReason | undefined;
  let structured = false;
  const blocks = new Map<number, Block>();
  let toolCalls = 0;
  const chunk = (choices: ChatCompletionChunkChoice[], extra?: { usage: ChatCompletionUsage }) => {
    if (!message)
      throw new ProviderError('transient', 'anthropic: the stream did not begin with message_start');
    return {
      id: message.id,
      object: 'chat.completion.chunk' as const,
      created,
      model: message.model,
      choices,
      ...extra,
    };
  };
  const delta = (value: ChatCompletionChunkChoice['delta'], reason: FinishReason | null = null) =>
    chunk([{ index: 0, delta: value, finish_reason: reason, logprobs: null }]);

  for await (const { data } of events) {
    const event = parsedEvent(data);
    switch (event.type) {
      case 'message_start':
        message = event.message;
        created = createdNow();
        yield delta({ role: 'assistant', content: '' });
        break;
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'text') blocks.set(event.index, { kind: 'text' });
        else if (block.type === 'tool_use' && structuredTool !== undefined && block.name === structuredTool) {
          structured = true;
          blocks.set(event.index, { kind: 'structured', sent: false });
        } else if (block.type === 'tool_use') {
          const index = toolCalls++;
          blocks.set(event.index, { kind: 'tool', index, sent: false });
          yield delta({
            tool_calls: [
              { index, id: block.id, type: 'function', function: { name: block.name, arguments: '' } },
            ],
          });
        } else blocks.set(event.index, { kind: 'other' });
        break;
      }
      case 'content_block_delta': {
        const block = blocks.get(event.index);
        const piece = event.delta;
        if (
          piece.type === 'text_delta' &&
          block?.kind === 'text' &&
          structuredTool === undefined &&
          piece.text
        ) {
          yield delta({ content: piece.text });
        } else if (piece.type === 'input_json_delta' && piece.partial_json) {
          if (block?.kind === 'structured') {
            block.sent = true;
            yield delta({ content: piece.partial_json });
          } else if (block?.kind === 'tool') {
            block.sent = true;
            yield delta({
              tool_calls: [{ index: block.index, function: { arguments: piece.partial_json } }],
            });
          }
        }
        break;
      }
      case 'content_block_stop': {
        // A tool called with no input streams no JSON; the non-streamed answer gives its input as `{}`.
        const block = blocks.get(event.index);
        if (block?.kind === 'structured' && !block.sent) yield delta({ content: '{}' });
        if (block?.kind === 'tool' && !block.sent) {
          yield delta({ tool_calls: [{ index: block.index, function: { arguments: '{}' } }] });
        }
        break;
      }
      case 'message_delta':
        usage = event.usage;
        if (event.delta.stop_reason !== null && finish === undefined) {
          finish = anthropicFinishReason(event.delta.stop_reason, structured);
          yield delta({}, finish);
        }
        break;
      case 'message_stop':
        if (finish === undefined) yield delta({}, anthropicFinishReason(null));
        yield chunk([], { usage: finalUsage(message, usage) });
        return;
      default:
        thrownIfError(event, apiKey);
    }
  }
  throw new ProviderError('transient', 'anthropic: the stream ended before message_stop');
}

/** Input tokens from message_start, unless message_delta's cumulative counts say otherwise. */
function finalUsage(message: Message | undefined, delta: MessageDeltaUsage | undefined): ChatCompletionUsage {
  const start = message?.usage;
  const prompt = anthropicPromptTokens({
    input_tokens: delta?.input_tokens ?? start?.input_tokens ?? 0,
    cache_creation_input_tokens: delta?.cache_creation_input_tokens ?? start?.cache_creation_input_tokens,
    cache_read_input_tokens: delta?.cache_read_input_tokens ?? start?.cache_read_input_tokens,
  });
  return completionUsage(prompt, delta?.output_tokens ?? start?.output_tokens ?? 0);
}

/** `ping` and event types added later are let through; an `error` event is thrown. */
function thrownIfError(event: { type: string }, apiKey?: string): void {
  if (event.type !== 'error') return;
  const failure = (event as { error?: { type?: unknown; message?: unknown } }).error;
  const type = typeof failure?.type === 'string' ? failure.type : 'api_error';
  const message = typeof failure?.message === 'string' ? failure.message : type;
  throw providerErrorFromStatus(ERROR_STATUS[type] ?? 500, redact(`anthropic: ${message}`, apiKey));
}

function parsedEvent(data: string): RawMessageStreamEvent {
  try {
    const value: unknown = JSON.parse(data);
    if (value && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string') {
      return value as RawMessageStreamEvent;
    }
  } catch {
    // reported below
  }
  throw new ProviderError('transient', 'anthropic: the stream sent an event that is not a JSON event');
}
