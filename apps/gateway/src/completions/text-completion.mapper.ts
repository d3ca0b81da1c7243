import {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionUsage,
  FinishReason,
} from '@breakwater/contracts';
import { CreateCompletionDto } from './dto/create-completion.dto';

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

/** The chat request a legacy completion is answered with: its prompt as one user message, its settings as they are. */
export function chatRequestOf(body: CreateCompletionDto): ChatCompletionRequest {
  const prompt = typeof body.prompt === 'string' ? body.prompt : body.prompt[0];
  const request: ChatCompletionRequest = { model: body.model, messages: [{ role: 'user', content: prompt }] };
  if (body.max_tokens != null) request.max_tokens = body.max_tokens;
  if (body.temperature != null) request.temperature = body.temperature;
  if (body.top_p != null) request.top_p = body.top_p;
  if (body.n != null) request.n = body.n;
  if (body.stop != null) request.stop = body.stop;
  if (body.presence_penalty != null) request.presence_penalty = body.presence_penalty;
  if (body.frequency_penalty != null) request.frequency_penalty = body.frequency_penalty;
  if (body.seed != null) request.seed = body.seed;
  if (body.user != null) request.user = body.user;
  if (body.stream === true) {
    request.stream = true;
    if (body.stream_options?.include_usage != null) {
      request.stream_options = { include_usage: body.stream_options.include_usage };
    }
  }
  return request;
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
