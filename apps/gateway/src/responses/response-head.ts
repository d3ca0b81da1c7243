import type { Response } from 'openai/resources/responses/responses';
import { ResponseHead, responseIdOf } from '@breakwater/completion';
import { CreateResponseDto } from './dto/create-response.dto';

export function responseHeadOf(body: CreateResponseDto): ResponseHead {
  return {
    id: responseIdOf('resp'),
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    metadata: body.metadata ?? {},
    model: body.model,
    output: [],
    output_text: '',
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: null,
    temperature: body.temperature ?? null,
    text: { format: body.text?.format ?? { type: 'text' } } as Response['text'],
    tool_choice: (body.tool_choice ?? 'auto') as Response['tool_choice'],
    tools: (body.tools ?? []).map((tool) => ({
      type: 'function',
      name: tool.name,
      description: tool.description ?? null,
      parameters: tool.parameters ?? null,
      strict: tool.strict ?? null,
    })),
    top_p: body.top_p ?? null,
    truncation: 'disabled',
    ...(body.user != null ? { user: body.user } : {}),
  };
}
