import {
  ChatCompletionRequest,
  ChatContentPart,
  ChatMessage,
  ChatTool,
  GatewayError,
  ResponseFormat,
} from '@breakwater/contracts';
import { CreateResponseDto } from './dto/create-response.dto';

/** Content parts one input message may carry. */
export const MAX_CONTENT_PARTS = 1_000;
const MESSAGE_ROLES: ReadonlySet<string> = new Set(['user', 'assistant', 'system', 'developer']);
/** Items that carry a model's own state between turns: there is nothing to map them to, so they are left out. */
const SKIPPED_ITEMS: ReadonlySet<string> = new Set(['reasoning']);

/**
 * A Responses API request as the chat request the gateway answers it with, so that the whole chat path
 * (limits, cache keyed on this canonical request, providers, structured output, queue) applies unchanged:
 *
 * - `instructions` is a system message first; `input` text is one user message; input messages keep their
 *   role, their `input_text`/`output_text` parts become text parts, `input_image` an `image_url` part;
 *   assistant, system and developer messages are sent as plain text.
 * - `function_call` items are the assistant's `tool_calls` (consecutive ones, and one right after an
 *   assistant message, join that assistant turn); `function_call_output` items are `tool` messages.
 * - `text.format` is `response_format` (`json_schema`, `json_object`; `text` is the default and left out);
 *   `max_output_tokens` is `max_completion_tokens`; function tools and `tool_choice` take chat's shape.
 * - `metadata` stays with the response: it is echoed, not sent.
 *
 * Input items are checked here, as they are mapped; a bad one is a 400 naming it (`input[2].call_id`).
 */
export function chatRequestOf(body: CreateResponseDto): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  if (body.instructions != null) messages.push({ role: 'system', content: body.instructions });
  if (typeof body.input === 'string') messages.push({ role: 'user', content: body.input });
  else body.input.forEach((item, index) => addItem(messages, item, `input[${index}]`));
  if (messages.length === 0) throw GatewayError.invalid('input', 'input holds no message');
  const request: ChatCompletionRequest = { model: body.model, messages };
  if (body.temperature != null) request.temperature = body.temperature;
  if (body.top_p != null) request.top_p = body.top_p;
  if (body.max_output_tokens != null) request.max_completion_tokens = body.max_output_tokens;
  if (body.user != null) request.user = body.user;
  if (body.parallel_tool_calls != null) request.parallel_tool_calls = body.parallel_tool_calls;
  if (body.tools != null && body.tools.length > 0) request.tools = body.tools.map(chatToolOf);
  if (body.tool_choice != null) request.tool_choice = toolChoiceOf(body.tool_choice);
  const format = responseFormatOf(body);
  if (format) request.response_format = format;
  if (body.text?.verbosity != null) request.verbosity = body.text.verbosity;
  if (body.stream === true) request.stream = true;
  return request;
}

function addItem(messages: ChatMessage[], item: unknown, path: string): void {
  if (!isRecord(item)) throw GatewayError.invalid(path, `${path} must be an object`);
  const type = item.type ?? (typeof item.role === 'string' ? 'message' : undefined);
  switch (type) {
    case 'message':
      messages.push(messageOf(item, path));
      return;
    case 'function_call':
      addFunctionCall(messages, item, path);
      return;
    case 'function_call_output':
      messages.push({
        role: 'tool',
        tool_call_id: stringAt(item, 'call_id', path, 256),
        content: outputOf(item.output, `${path}.output`),
      });
      return;
    case 'item_reference':
      throw GatewayError.invalid(
        path,
        `${path}: item references need stored responses, which the gateway does not keep; send the item itself (from the AI SDK: providerOptions.openai.store = false)`,
      );
    default:
      if (typeof type === 'string' && SKIPPED_ITEMS.has(type)) return;
      throw GatewayError.invalid(
        `${path}.type`,
        `${path}.type must be message, function_call or function_call_output${typeof type === 'string' ? `; got ${JSON.stringify(type.slice(0, 64))}` : ''}`,
      );
  }
}

function messageOf(item: Record<string, unknown>, path: string): ChatMessage {
  const role = item.role;
  if (typeof role !== 'string' || !MESSAGE_ROLES.has(role)) {
    throw GatewayError.invalid(`${path}.role`, `${path}.role must be user, assistant, system or developer`);
  }
  const content = item.content;
  const chatRole = role as 'user' | 'assistant' | 'system' | 'developer';
  if (typeof content === 'string') return { role: chatRole, content };
  if (!Array.isArray(content) || content.length === 0 || content.length > MAX_CONTENT_PARTS) {
    throw GatewayError.invalid(
      `${path}.content`,
      `${path}.content must be a string or a non-empty array of at most ${MAX_CONTENT_PARTS} parts`,
    );
  }
  const parts = content.map((part: unknown, index) => partOf(part, `${path}.content[${index}]`));
  if (chatRole === 'user') return { role: chatRole, content: parts };
  const images = parts.findIndex((part) => part.type !== 'text');
  if (images >= 0) {
    throw GatewayError.invalid(`${path}.content[${images}]`, `only user messages may carry images`);
  }
  return { role: chatRole, content: parts.map((part) => part.text).join('') };
}

function partOf(part: unknown, path: string): ChatContentPart {
  if (!isRecord(part)) throw GatewayError.invalid(path, `${path} must be an object`);
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: stringAt(part, 'text', path) };
    case 'refusal':
      return { type: 'text', text: stringAt(part, 'refusal', path) };
    case 'input_image': {
      if (part.file_id != null) {
        throw GatewayError.invalid(`${path}.file_id`, `${path}.file_id is not supported; send image_url`);
      }
      const url = stringAt(part, 'image_url', path);
      const detail = part.detail;
      if (detail != null && detail !== 'auto' && detail !== 'low' && detail !== 'high') {
        throw GatewayError.invalid(`${path}.detail`, `${path}.detail must be auto, low or high`);
      }
      return { type: 'image_url', image_url: detail == null ? { url } : { url, detail } };
    }
    default:
      throw GatewayError.invalid(
        `${path}.type`,
        `${path}.type must be input_text, input_image or output_text (input_file and audio are not supported)`,
      );
  }
}

function addFunctionCall(messages: ChatMessage[], item: Record<string, unknown>, path: string): void {
  const call = {
    id: stringAt(item, 'call_id', path, 256),
    type: 'function' as const,
    function: { name: stringAt(item, 'name', path, 128), arguments: stringAt(item, 'arguments', path) },
  };
  const last = messages.at(-1);
  if (last?.role === 'assistant') {
    last.tool_calls = [...(last.tool_calls ?? []), call];
    return;
  }
  messages.push({ role: 'assistant', content: null, tool_calls: [call] });
}

/** A function's output: text, or parts of which the text is kept. */
function outputOf(output: unknown, path: string): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output) && output.length <= MAX_CONTENT_PARTS) {
    return output
      .map((part: unknown, index) => {
        const at = `${path}[${index}]`;
        if (!isRecord(part) || part.type !== 'input_text') {
          throw GatewayError.invalid(at, `${at} must be an input_text part`);
        }
        return stringAt(part, 'text', at);
      })
      .join('');
  }
  throw GatewayError.invalid(path, `${path} must be a string or an array of input_text parts`);
}

function stringAt(item: Record<string, unknown>, field: string, path: string, maxLength?: number): string {
  const value = item[field];
  const at = `${path}.${field}`;
  if (typeof value !== 'string') throw GatewayError.invalid(at, `${at} must be a string`);
  if (maxLength !== undefined && (value.length === 0 || value.length > maxLength)) {
    throw GatewayError.invalid(at, `${at} must be 1 to ${maxLength} characters`);
  }
  return value;
}

function chatToolOf(tool: NonNullable<CreateResponseDto['tools']>[number]): ChatTool {
  const definition: ChatTool['function'] = { name: tool.name };
  if (tool.description != null) definition.description = tool.description;
  if (tool.parameters != null) definition.parameters = tool.parameters;
  if (tool.strict != null) definition.strict = tool.strict;
  return { type: 'function', function: definition };
}

function toolChoiceOf(choice: unknown): unknown {
  if (typeof choice === 'string') return choice;
  const { name } = choice as { name: string };
  return { type: 'function', function: { name } };
}

function responseFormatOf(body: CreateResponseDto): ResponseFormat | undefined {
  const format = body.text?.format;
  if (format == null || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  const { name, schema, description, strict } = format;
  return {
    type: 'json_schema',
    json_schema: {
      name: name ?? 'response',
      ...(schema != null ? { schema } : {}),
      ...(description != null ? { description } : {}),
      ...(strict != null ? { strict } : {}),
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
