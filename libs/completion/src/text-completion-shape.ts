import {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionUsage,
  FinishReason,
} from '@breakwater/contracts';

export type TextFinishReason = 'stop' | 'length' | 'content_filter';

export interface TextCompletionChoice {
  index: number;
  text: string;
  finish_reason: TextFinishReason | null;
  logprobs: null;
}

/** OpenAI's legacy `text_completion`; a streamed chunk has the same shape, its choices carrying new text. */
export interface TextCompletion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: TextCompletionChoice[];
  usage?: ChatCompletionUsage;
  system_fingerprint?: string | null;
}

export function textCompletionOf(completion: ChatCompletion): TextCompletion {
  return {
    id: textIdOf(completion.id),
    object: 'text_completion',
    created: completion.created,
    model: completion.model,
    choices: completion.choices.map((choice) => ({
      index: choice.index,
      text: choice.message.content ?? '',
      finish_reason: textFinishOf(choice.finish_reason),
      logprobs: null,
    })),
    usage: completion.usage,
    system_fingerprint: completion.system_fingerprint ?? null,
  };
}

/** A chat chunk as a text chunk: its new text per choice; a usage chunk keeps its usage and no choices. */
export function textChunkOf(chunk: ChatCompletionChunk): TextCompletion {
  return {
    id: textIdOf(chunk.id),
    object: 'text_completion',
    created: chunk.created,
    model: chunk.model,
    choices: chunk.choices.map((choice) => ({
      index: choice.index,
      text: choice.delta.content ?? '',
      finish_reason: choice.finish_reason === null ? null : textFinishOf(choice.finish_reason),
      logprobs: null,
    })),
    ...(chunk.usage ? { usage: chunk.usage } : {}),
    system_fingerprint: chunk.system_fingerprint ?? null,
  };
}

/** A chat model that calls no tools here can only stop, be cut short or be filtered. */
function textFinishOf(reason: FinishReason): TextFinishReason {
  return reason === 'length' || reason === 'content_filter' ? reason : 'stop';
}

function textIdOf(id: string): string {
  return id.startsWith('chatcmpl-') ? `cmpl-${id.slice('chatcmpl-'.length)}` : id;
}
