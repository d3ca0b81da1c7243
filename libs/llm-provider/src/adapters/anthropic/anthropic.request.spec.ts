import { ProviderRequest } from '../llm-provider.adapter';
import * as fixture from '../shared/provider-request.fixture';
import { ANTHROPIC_DEFAULT_MAX_TOKENS, toAnthropicRequest } from './anthropic.request';

const MODEL = 'claude-haiku-4-5';
const ask = (extra: Partial<ProviderRequest> = {}): ProviderRequest => fixture.providerRequest(MODEL, extra);

describe('toAnthropicRequest', () => {
  it('joins system and developer messages into the top-level system, out of the turns', () => {
    const { params } = toAnthropicRequest(
      ask({
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'user', content: 'hi' },
          { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
        ],
      }),
    );
    expect(params.system).toBe('Be terse.\n\nAnswer in French.');
    expect(params.messages).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('sends no system at all when there is none', () => {
    expect(toAnthropicRequest(ask()).params).not.toHaveProperty('system');
  });

  it('maps roles and merges consecutive turns of one role, since Anthropic alternates', () => {
    const { params } = toAnthropicRequest(
      ask({
        messages: [
          { role: 'user', content: 'one' },
          { role: 'user', content: [{ type: 'text', text: 'two' }] },
          { role: 'assistant', content: 'three' },
        ],
      }),
    );
    expect(params.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'one' },
          { type: 'text', text: 'two' },
        ],
      },
      { role: 'assistant', content: 'three' },
    ]);
  });

  it('maps image parts to image blocks (base64 data URLs and http URLs) and drops empty text', () => {
    const { params } = toAnthropicRequest(
      fixture.partsRequest(MODEL, [
        { type: 'text', text: '' },
        { type: 'text', text: 'what is this?' },
        fixture.imageUrlPart('data:image/png;base64,iVBORw0KGgo='),
        fixture.imageUrlPart('https://example.com/cat.jpg'),
      ]),
    );
    expect(params.messages[0].content).toEqual([
      { type: 'text', text: 'what is this?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
  });

  it('defaults max_tokens, and prefers max_completion_tokens over max_tokens', () => {
    expect(toAnthropicRequest(ask()).params.max_tokens).toBe(ANTHROPIC_DEFAULT_MAX_TOKENS);
    expect(toAnthropicRequest(ask({ max_tokens: 300 })).params.max_tokens).toBe(300);
    expect(toAnthropicRequest(ask({ max_tokens: 300, max_completion_tokens: 200 })).params.max_tokens).toBe(
      200,
    );
  });

  it("clamps temperature into Anthropic's 0..1", () => {
    expect(toAnthropicRequest(ask({ temperature: 1.8 })).params.temperature).toBe(1);
    expect(toAnthropicRequest(ask({ temperature: 0.4 })).params.temperature).toBe(0.4);
    expect(toAnthropicRequest(ask({ temperature: -1 })).params.temperature).toBe(0);
    expect(toAnthropicRequest(ask()).params).not.toHaveProperty('temperature');
  });

  it('sends top_p alone, but not beside temperature (recent models refuse both)', () => {
    expect(toAnthropicRequest(ask({ top_p: 0.9 })).params.top_p).toBe(0.9);
    expect(toAnthropicRequest(ask({ top_p: 0.9, temperature: 0.5 })).params).not.toHaveProperty('top_p');
  });

  it('maps stop to stop_sequences and user to metadata.user_id', () => {
    expect(toAnthropicRequest(ask({ stop: 'END' })).params.stop_sequences).toEqual(['END']);
    expect(toAnthropicRequest(ask({ stop: ['a', 'b'] })).params.stop_sequences).toEqual(['a', 'b']);
    expect(toAnthropicRequest(ask({ user: 'u-1' })).params.metadata).toEqual({ user_id: 'u-1' });
  });

  it('turns json_schema into a forced tool named after the schema', () => {
    const call = toAnthropicRequest(fixture.thingSchemaRequest(MODEL));
    expect(call.structuredTool).toBe('thing');
    expect(call.params.tools).toEqual([
      { name: 'thing', description: 'A thing', input_schema: fixture.THING_SCHEMA },
    ]);
    expect(call.params.tool_choice).toEqual({ type: 'tool', name: 'thing' });
  });

  it('turns json_object into a forced json_object tool taking any object', () => {
    const call = toAnthropicRequest(ask({ response_format: { type: 'json_object' } }));
    expect(call.structuredTool).toBe('json_object');
    expect(call.params.tools).toEqual([
      expect.objectContaining({ name: 'json_object', input_schema: { type: 'object' } }),
    ]);
    expect(call.params.tool_choice).toEqual({ type: 'tool', name: 'json_object' });
  });

  it('sends no tool for a text response_format', () => {
    const call = toAnthropicRequest(ask({ response_format: { type: 'text' } }));
    expect(call.structuredTool).toBeUndefined();
    expect(call.params).not.toHaveProperty('tools');
  });

  it("maps the caller's tools and each tool_choice", () => {
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'f', description: 'F', parameters: { type: 'object' } },
      },
    ];
    const choice = (tool_choice: unknown) =>
      toAnthropicRequest(ask({ tools, tool_choice })).params.tool_choice;
    expect(toAnthropicRequest(ask({ tools })).params.tools).toEqual([
      { name: 'f', description: 'F', input_schema: { type: 'object' } },
    ]);
    expect(choice('auto')).toEqual({ type: 'auto' });
    expect(choice('required')).toEqual({ type: 'any' });
    expect(choice('none')).toEqual({ type: 'none' });
    expect(choice({ type: 'function', function: { name: 'f' } })).toEqual({ type: 'tool', name: 'f' });
  });

  it('maps assistant tool_calls to tool_use blocks and tool messages to user tool_result blocks', () => {
    const { params } = toAnthropicRequest(
      fixture.toolTurnsRequest(
        MODEL,
        'Checking.',
        [
          { id: 't1', arguments: '{"city":"Oslo"}', result: 'cold' },
          { id: 't2', arguments: 'not json', result: 'unknown' },
        ],
        'thanks',
      ),
    );
    expect(params.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 't1', name: 'w', input: { city: 'Oslo' } },
          { type: 'tool_use', id: 't2', name: 'w', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1', content: 'cold' },
          { type: 'tool_result', tool_use_id: 't2', content: 'unknown' },
          { type: 'text', text: 'thanks' },
        ],
      },
    ]);
  });

  it('turns parallel_tool_calls: false into disable_parallel_tool_use on the tool choice', () => {
    const tools = [{ type: 'function' as const, function: { name: 'w' } }];
    const auto = toAnthropicRequest(fixture.providerRequest('claude', { tools, parallel_tool_calls: false }));
    expect(auto.params.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    const forced = toAnthropicRequest(
      fixture.providerRequest('claude', {
        tools,
        parallel_tool_calls: false,
        tool_choice: { type: 'function', function: { name: 'w' } },
      }),
    );
    expect(forced.params.tool_choice).toEqual({ type: 'tool', name: 'w', disable_parallel_tool_use: true });
    const allowed = toAnthropicRequest(
      fixture.providerRequest('claude', { tools, parallel_tool_calls: true }),
    );
    expect(allowed.params.tool_choice).toBeUndefined();
  });
});
