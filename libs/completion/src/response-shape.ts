import { randomBytes } from 'node:crypto';
import type {
  Response,
  ResponseFunctionToolCall,
  ResponseOutputItem,
  ResponseOutputMessage,
  ResponseUsage,
} from 'openai/resources/responses/responses';
import { ChatCompletion, ChatCompletionUsage } from '@breakwater/contracts';

/** A fresh id of OpenAI's form: `resp_…`, `msg_…`, `fc_…`. */
export function responseIdOf(prefix: 'resp' | 'msg' | 'fc'): string {
  return `${prefix}_${randomBytes(24).toString('hex')}`;
}

/** The ids a response's items carry; a stream names them as they start, and the final response reuses them. */
export interface OutputIds {
  message: string;
  calls: string[];
}

/** The output items of a chat answer: a message with its text (or refusal) unless it only called tools, then each call. */
export function outputOf(completion: ChatCompletion, ids?: OutputIds): ResponseOutputItem[] {
  const message = completion.choices[0]?.message;
  const calls = message?.tool_calls ?? [];
  const items: ResponseOutputItem[] = [];
  const status = itemStatusOf(completion);
  if (message?.refusal) {
    items.push(messageItem(ids?.message, status, [{ type: 'refusal', refusal: message.refusal }]));
  } else if (message?.content || calls.length === 0) {
    items.push(
      messageItem(ids?.message, status, [
        { type: 'output_text', text: message?.content ?? '', annotations: [], logprobs: [] },
      ]),
    );
  }
  calls.forEach((call, index) => {
    const item: ResponseFunctionToolCall = {
      id: ids?.calls[index] ?? responseIdOf('fc'),
      type: 'function_call',
      status,
      call_id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
    };
    items.push(item);
  });
  return items;
}

/**
 * The `response` object of a chat answer. `status` is `incomplete` when the answer was cut short
 * (finish_reason `length`: max_output_tokens; `content_filter`), else `completed`; the request's settings
 * are echoed as OpenAI does.
 */
export function responseOf(completion: ChatCompletion, head: ResponseHead, ids?: OutputIds): Response {
  const output = outputOf(completion, ids);
  const reason = incompleteReasonOf(completion);
  return {
    ...head,
    model: completion.model,
    status: reason ? 'incomplete' : 'completed',
    completed_at: Math.floor(Date.now() / 1000),
    incomplete_details: reason ? { reason } : null,
    output,
    output_text: outputTextOf(output),
    usage: usageOf(completion.usage),
  };
}

/** What a response says before its answer is in: its id, time and the request's settings. */
export type ResponseHead = Omit<Response, 'output_text'> & { output_text: string };

export function usageOf(usage: ChatCompletionUsage): ResponseUsage {
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.total_tokens,
  };
}

export function incompleteReasonOf(
  completion: ChatCompletion,
): 'max_output_tokens' | 'content_filter' | undefined {
  const finish = completion.choices[0]?.finish_reason;
  if (finish === 'length') return 'max_output_tokens';
  if (finish === 'content_filter') return 'content_filter';
  return undefined;
}

function itemStatusOf(completion: ChatCompletion): 'completed' | 'incomplete' {
  return incompleteReasonOf(completion) ? 'incomplete' : 'completed';
}

function messageItem(
  id: string | undefined,
  status: 'completed' | 'incomplete',
  content: ResponseOutputMessage['content'],
): ResponseOutputMessage {
  return { id: id ?? responseIdOf('msg'), type: 'message', status, role: 'assistant', content };
}

function outputTextOf(output: ResponseOutputItem[]): string {
  return output
    .flatMap((item) => (item.type === 'message' ? item.content : []))
    .map((part) => (part.type === 'output_text' ? part.text : ''))
    .join('');
}
