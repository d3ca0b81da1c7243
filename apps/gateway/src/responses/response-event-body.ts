import { PassThrough, Readable } from 'node:stream';
import type {
  ResponseFunctionToolCall,
  ResponseOutputMessage,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses';
import {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionChunkToolCall,
  GatewayError,
} from '@breakwater/contracts';
import { completionChunks } from '@breakwater/llm-provider';
import { StreamBody } from '../chat/sse-body';
import { ResponseHead, incompleteReasonOf, responseIdOf, responseOf } from '@breakwater/completion';

/** An event as it is written: OpenAI's event without its sequence number, which the body adds. */
type EventOf<T> = T extends ResponseStreamEvent ? Omit<T, 'sequence_number'> : never;
type ResponseEvent = EventOf<ResponseStreamEvent>;

interface TextItem {
  id: string;
  outputIndex: number;
  text: string;
}

interface CallItem {
  id: string;
  outputIndex: number;
  callId: string;
  name: string;
  arguments: string;
}

/**
 * A streamed answer as OpenAI's Responses event stream, mapped from the chat chunks: `response.created` and
 * `response.in_progress` first; text deltas open a message item (`output_item.added`,
 * `content_part.added`) and are `output_text.delta`s; each tool call opens a `function_call` item whose
 * argument pieces are `function_call_arguments.delta`s; an item is closed (its `.done` events) when the
 * next one opens or the answer ends; then `response.completed` (or `response.incomplete`) with the whole
 * response and its usage. A failure after the first chunk is an `error` event, then `response.failed`.
 * Every event carries its `sequence_number`, from 0; there is no `[DONE]`, as with OpenAI.
 */
export class ResponseEventBody implements StreamBody {
  private readonly out = new PassThrough();
  private sequence = 0;
  private begun = false;
  private nextOutputIndex = 0;
  private text: TextItem | undefined;
  private readonly calls = new Map<number, CallItem>();
  private open: TextItem | CallItem | undefined;

  constructor(private readonly head: ResponseHead) {}

  get stream(): Readable {
    return this.out;
  }

  chunk(chunk: ChatCompletionChunk): void {
    this.begin();
    const delta = chunk.choices[0]?.delta;
    if (!delta) return;
    if (delta.content) this.textDelta(delta.content);
    for (const piece of delta.tool_calls ?? []) this.callDelta(piece);
  }

  replay(completion: ChatCompletion): void {
    for (const chunk of completionChunks(completion, { usage: false })) this.chunk(chunk);
    this.finish(completion);
  }

  finish(completion: ChatCompletion): void {
    this.begin();
    if (!this.text && this.calls.size === 0) this.openText();
    this.close();
    const calls = [...this.calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call.id);
    const response = responseOf(completion, this.head, {
      message: this.text?.id ?? responseIdOf('msg'),
      calls,
    });
    const type = incompleteReasonOf(completion) ? 'response.incomplete' : 'response.completed';
    this.event({ type, response });
    this.out.end();
  }

  fail(error: GatewayError): void {
    this.begin();
    this.event({ type: 'error', code: error.code, message: error.message, param: error.param ?? null });
    this.event({
      type: 'response.failed',
      response: { ...this.head, status: 'failed', error: { code: 'server_error', message: error.message } },
    });
    this.out.end();
  }

  private begin(): void {
    if (this.begun) return;
    this.begun = true;
    this.event({ type: 'response.created', response: this.head });
    this.event({ type: 'response.in_progress', response: this.head });
  }

  private textDelta(delta: string): void {
    const item = this.text ?? this.openText();
    item.text += delta;
    this.event({
      type: 'response.output_text.delta',
      item_id: item.id,
      output_index: item.outputIndex,
      content_index: 0,
      delta,
      logprobs: [],
    });
  }

  private openText(): TextItem {
    this.close();
    const item: TextItem = { id: responseIdOf('msg'), outputIndex: this.nextOutputIndex++, text: '' };
    this.text = item;
    this.open = item;
    this.event({
      type: 'response.output_item.added',
      output_index: item.outputIndex,
      item: messageOf(item, 'in_progress'),
    });
    this.event({
      type: 'response.content_part.added',
      item_id: item.id,
      output_index: item.outputIndex,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
    });
    return item;
  }

  private callDelta(piece: ChatCompletionChunkToolCall): void {
    let call = this.calls.get(piece.index);
    if (!call) {
      this.close();
      call = {
        id: responseIdOf('fc'),
        outputIndex: this.nextOutputIndex++,
        callId: piece.id ?? responseIdOf('fc'),
        name: piece.function?.name ?? '',
        arguments: '',
      };
      this.calls.set(piece.index, call);
      this.open = call;
      this.event({
        type: 'response.output_item.added',
        output_index: call.outputIndex,
        item: callOf(call, 'in_progress'),
      });
    }
    const delta = piece.function?.arguments;
    if (!delta) return;
    call.arguments += delta;
    this.event({
      type: 'response.function_call_arguments.delta',
      item_id: call.id,
      output_index: call.outputIndex,
      delta,
    });
  }

  /** The `.done` events of the item still open. */
  private close(): void {
    const item = this.open;
    if (!item) return;
    this.open = undefined;
    if ('text' in item) {
      const { id, outputIndex, text } = item;
      const common = { item_id: id, output_index: outputIndex, content_index: 0 };
      this.event({ type: 'response.output_text.done', ...common, text, logprobs: [] });
      this.event({
        type: 'response.content_part.done',
        ...common,
        part: { type: 'output_text', text, annotations: [], logprobs: [] },
      });
      this.event({
        type: 'response.output_item.done',
        output_index: outputIndex,
        item: messageOf(item, 'completed'),
      });
      return;
    }
    this.event({
      type: 'response.function_call_arguments.done',
      item_id: item.id,
      output_index: item.outputIndex,
      name: item.name,
      arguments: item.arguments,
    });
    this.event({
      type: 'response.output_item.done',
      output_index: item.outputIndex,
      item: callOf(item, 'completed'),
    });
  }

  private event(event: ResponseEvent): void {
    if (!this.out.writable) return;
    const data = JSON.stringify({ ...event, sequence_number: this.sequence++ });
    this.out.write(`event: ${event.type}\ndata: ${data}\n\n`);
  }
}

function messageOf(item: TextItem, status: 'in_progress' | 'completed'): ResponseOutputMessage {
  const content: ResponseOutputMessage['content'] =
    status === 'completed' ? [{ type: 'output_text', text: item.text, annotations: [], logprobs: [] }] : [];
  return { id: item.id, type: 'message', status, role: 'assistant', content };
}

function callOf(item: CallItem, status: 'in_progress' | 'completed'): ResponseFunctionToolCall {
  return {
    id: item.id,
    type: 'function_call',
    status,
    call_id: item.callId,
    name: item.name,
    arguments: status === 'completed' ? item.arguments : '',
  };
}
