import { ChatCompletion, ChatCompletionUsage, ChatContentPart } from '@breakwater/contracts';
import { ProviderRequest } from '../llm-provider.adapter';

/** For the adapters' specs: a one-message request to `model`, with `extra` fields over it. */
export function providerRequest(model: string, extra: Partial<ProviderRequest> = {}): ProviderRequest {
  return { model, messages: [{ role: 'user', content: 'hello' }], ...extra };
}

/** The schema the adapters' specs ask for, and the request that asks for it as `json_schema` `thing`. */
export const THING_SCHEMA = { type: 'object', properties: { a: { type: 'string' } } };

export function thingSchemaRequest(model: string): ProviderRequest {
  return providerRequest(model, {
    response_format: {
      type: 'json_schema',
      json_schema: { name: 'thing', description: 'A thing', schema: THING_SCHEMA },
    },
  });
}

/** A request whose one user message carries these parts (text, image URLs). */
export function partsRequest(model: string, parts: ChatContentPart[]): ProviderRequest {
  return providerRequest(model, { messages: [{ role: 'user', content: parts }] });
}

export function imageUrlPart(url: string): ChatContentPart {
  return { type: 'image_url', image_url: { url } };
}

/** One call of the tool `w` and the tool message that answers it. */
export interface WeatherCall {
  id: string;
  arguments: string;
  result: string;
}

/**
 * A conversation that replays tool use: the user asks, the assistant (saying `content`) calls `w`
 * once per call, a tool message answers each, and the user may add `then`.
 */
export function toolTurnsRequest(
  model: string,
  content: string | null,
  calls: WeatherCall[],
  then?: string,
): ProviderRequest {
  return providerRequest(model, {
    messages: [
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content,
        tool_calls: calls.map((call) => ({
          id: call.id,
          type: 'function' as const,
          function: { name: 'w', arguments: call.arguments },
        })),
      },
      ...calls.map((call) => ({ role: 'tool' as const, tool_call_id: call.id, content: call.result })),
      ...(then === undefined ? [] : [{ role: 'user' as const, content: then }]),
    ],
  });
}

/** What a mapped single-choice answer of `content` looks like, for `toMatchObject`. */
export function oneChoiceCompletion(
  answer: Pick<ChatCompletion, 'id' | 'model'>,
  content: string,
  usage: ChatCompletionUsage,
): object {
  return {
    ...answer,
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage,
  };
}
