import { ChatCompletion } from '@breakwater/contracts';

/** A one-choice `chat.completion` answering `content`, with `fields` over it (model, usage, ...). */
export function completionWith(content: string, fields: Partial<ChatCompletion> = {}): ChatCompletion {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'mock/echo',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    ...fields,
  };
}
