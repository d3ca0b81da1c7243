import type { Response } from 'openai/resources/responses/responses';
import { ChatCompletion } from '@breakwater/contracts';
import { ResponseHead, responseOf } from './response-shape';
import { TextCompletion, textCompletionOf } from './text-completion-shape';

/**
 * The shape a request asked its answer in, when not a chat.completion: a Responses `response` (built on
 * the head the request made, so its id and settings are the ones the caller was told) or a legacy
 * `text_completion`. A queued request carries it, so its result and webhook come in that shape too.
 */
export type AnswerShape = { kind: 'response'; head: ResponseHead } | { kind: 'text_completion' };

/** A chat completion as the request asked for it (as it is without a shape). */
export function shapedAnswer(
  completion: ChatCompletion,
  shape: AnswerShape | undefined,
): ChatCompletion | Response | TextCompletion {
  if (!shape) return completion;
  return shape.kind === 'response' ? responseOf(completion, shape.head) : textCompletionOf(completion);
}
