import type {
  Content,
  FunctionCallingConfigMode,
  GenerateContentConfig,
  GenerateContentParameters,
  Part,
  ToolConfig,
} from '@google/genai';
import { ChatMessage, ChatToolCall } from '@breakwater/contracts';
import { messageText } from '../../token-estimate';
import { ProviderRequest } from '../llm-provider.adapter';
import { parseDataUrl } from '../shared/data-url';
import { ContentSpelling, contentBlocks, jsonObject, toTurns } from '../shared/message-mapping';
import { forcedFunctionName, stopSequences } from '../shared/option-mapping';

/**
 * Gemini rejects a replayed function call without the thought signature it was issued with (Gemini 3);
 * OpenAI's tool_calls cannot carry one, so history gets the validator-skipping value Google documents
 * for conversations built elsewhere.
 */
const REPLAYED_CALL_SIGNATURE = 'skip_thought_signature_validator';

export function toGeminiRequest(request: ProviderRequest, signal?: AbortSignal): GenerateContentParameters {
  const { systemInstruction, contents } = toGeminiContents(request.messages);
  const format = request.response_format;
  const maxOutputTokens = request.max_completion_tokens ?? request.max_tokens;
  const stop = stopSequences(request.stop);
  const tools = request.tools ?? [];
  const toolConfig = toGeminiToolConfig(request.tool_choice);
  const config: GenerateContentConfig = {
    ...(signal ? { abortSignal: signal } : {}),
    ...(systemInstruction ? { systemInstruction } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.top_p !== undefined ? { topP: request.top_p } : {}),
    ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
    ...(stop && stop.length > 0 ? { stopSequences: stop } : {}),
    ...(request.n !== undefined ? { candidateCount: request.n } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(request.presence_penalty !== undefined ? { presencePenalty: request.presence_penalty } : {}),
    ...(request.frequency_penalty !== undefined ? { frequencyPenalty: request.frequency_penalty } : {}),
    ...(format?.type === 'json_object' ? { responseMimeType: 'application/json' } : {}),
    ...(format?.type === 'json_schema'
      ? {
          responseMimeType: 'application/json',
          responseJsonSchema: format.json_schema.schema ?? { type: 'object' },
        }
      : {}),
    ...(tools.length > 0
      ? {
          tools: [
            {
              functionDeclarations: tools.map((tool) => ({
                name: tool.function.name,
                ...(tool.function.description ? { description: tool.function.description } : {}),
                ...(tool.function.parameters ? { parametersJsonSchema: tool.function.parameters } : {}),
              })),
            },
          ],
        }
      : {}),
    ...(toolConfig && tools.length > 0 ? { toolConfig } : {}),
  };
  return { model: request.model, contents, config };
}

const GEMINI_CONTENT: ContentSpelling<Part> = {
  text: (text) => ({ text }),
  image: (url) => {
    const data = parseDataUrl(url);
    return data
      ? { inlineData: { mimeType: data.mediaType, data: data.data } }
      : { fileData: { fileUri: url } };
  },
};

/**
 * user → 'user', assistant → 'model', system and developer → `systemInstruction`; tool results become
 * functionResponse parts of a user turn, named after the call they answer. Consecutive turns of one role
 * merge, as Gemini alternates them.
 */
function toGeminiContents(messages: ChatMessage[]): {
  systemInstruction?: string;
  contents: Content[];
} {
  const callNames = new Map<string, string>();
  const { system, turns } = toTurns<'user' | 'model', Part>(messages, {
    userRole: 'user',
    assistantRole: 'model',
    user: (message) => contentBlocks(message.content, GEMINI_CONTENT),
    assistant: (message) => {
      for (const call of message.tool_calls ?? []) callNames.set(call.id, call.function.name);
      return [...contentBlocks(message.content, GEMINI_CONTENT), ...functionCallParts(message.tool_calls)];
    },
    tool: (message) => {
      const name =
        callNames.get(message.tool_call_id ?? '') ?? message.name ?? message.tool_call_id ?? 'tool';
      return [{ functionResponse: { name, response: functionResponse(messageText(message)) } }];
    },
  });
  return {
    ...(system ? { systemInstruction: system } : {}),
    contents: turns.map(({ role, blocks }) => ({ role, parts: blocks })),
  };
}

function functionCallParts(calls: ChatToolCall[] | undefined): Part[] {
  return (calls ?? []).map((call) => ({
    functionCall: { name: call.function.name, args: jsonObject(call.function.arguments) },
    thoughtSignature: REPLAYED_CALL_SIGNATURE,
  }));
}

/** Gemini wants an object; a tool's text that is not one goes as `{output}`, the key Google documents. */
function functionResponse(text: string): Record<string, unknown> {
  const parsed = jsonObject(text);
  return Object.keys(parsed).length > 0 ? parsed : { output: text };
}

/**
 * The SDK's FunctionCallingConfigMode values, written out: the types come from `@google/genai`, but its
 * code loads only when Gemini is configured (see GeminiAdapter).
 */
const ANY = 'ANY' as FunctionCallingConfigMode;

function toGeminiToolConfig(choice: unknown): ToolConfig | undefined {
  const mode = {
    auto: 'AUTO' as FunctionCallingConfigMode,
    required: ANY,
    none: 'NONE' as FunctionCallingConfigMode,
  };
  if (typeof choice === 'string' && choice in mode) {
    return { functionCallingConfig: { mode: mode[choice as keyof typeof mode] } };
  }
  const name = forcedFunctionName(choice);
  return name === undefined
    ? undefined
    : { functionCallingConfig: { mode: ANY, allowedFunctionNames: [name] } };
}
