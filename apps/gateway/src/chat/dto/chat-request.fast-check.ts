import Ajv from 'ajv';
import { CHAT_ROLES } from '@breakwater/contracts';
import { MAX_MODEL_NAME_LENGTH, MODEL_NAME_SOURCE } from './model-name';

const NUMBER = (minimum: number, maximum: number) => ({ type: 'number', minimum, maximum });
const POSITIVE_INT = { type: 'integer', minimum: 1 };

/**
 * The everyday chat body (text messages, sampling parameters) as one compiled JSON Schema: a body it
 * accepts is one ChatCompletionRequestDto accepts too, so the validation pipe can skip class-validator,
 * the costliest step of a cache hit. It is a strict subset: every field the DTO knows is either held to
 * the same rule or more tightly, or is `false` here (tools, response_format, stop, tool calls, content
 * parts), which sends the body down the DTO's path, as does any body it refuses. The DTO alone writes
 * error messages. Fields neither knows are let through by both. Kept beside the DTO; the spec checks
 * that the two agree on a catalogue of bodies.
 */
const FAST_SCHEMA = {
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    model: { type: 'string', minLength: 1, maxLength: MAX_MODEL_NAME_LENGTH, pattern: MODEL_NAME_SOURCE },
    messages: {
      type: 'array',
      minItems: 1,
      maxItems: 10000,
      items: {
        type: 'object',
        required: ['role', 'content'],
        properties: {
          role: { enum: CHAT_ROLES },
          content: { type: 'string' },
          name: { type: 'string', maxLength: 256 },
          tool_call_id: { type: 'string' },
          tool_calls: false,
        },
      },
    },
    temperature: NUMBER(0, 2),
    top_p: NUMBER(0, 1),
    n: { type: 'integer', minimum: 1, maximum: 16 },
    max_tokens: POSITIVE_INT,
    max_completion_tokens: POSITIVE_INT,
    presence_penalty: NUMBER(-2, 2),
    frequency_penalty: NUMBER(-2, 2),
    seed: { type: 'integer' },
    user: { type: 'string', maxLength: 256 },
    stream: { const: false },
    stop: false,
    response_format: false,
    tools: false,
    tool_choice: false,
  },
};

/** True when the body is certainly valid; false means "ask the DTO", not "invalid". */
export const isEverydayChatRequest = new Ajv({ strict: true }).compile(FAST_SCHEMA);
