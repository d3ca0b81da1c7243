import { text } from 'node:stream/consumers';
import { ChatCompletion, GatewayError } from '@breakwater/contracts';
import { ResponseEventBody } from './response-event-body';
import { responseHeadOf } from './response-head';

interface Event {
  type: string;
  sequence_number: number;
  [field: string]: unknown;
}

async function eventsOf(body: ResponseEventBody): Promise<Event[]> {
  const wire = await text(body.stream);
  return wire
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const [event, data] = block.split('\n');
      const parsed = JSON.parse(data.slice('data: '.length)) as Event;
      expect(event).toBe(`event: ${parsed.type}`);
      return parsed;
    });
}

const completion = (finish: 'stop' | 'length' | 'tool_calls'): ChatCompletion => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'mock/echo',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: 'Sure.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
          { id: 'call_2', type: 'function', function: { name: 'g', arguments: '{}' } },
        ],
      },
      finish_reason: finish,
      logprobs: null,
    },
  ],
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
});

describe('ResponseEventBody', () => {
  it('writes the Responses events in order, items closed before the next opens, ids kept to the end', async () => {
    const body = new ResponseEventBody(responseHeadOf({ model: 'mock/echo', input: 'hi' }));
    body.replay(completion('tool_calls'));
    const events = await eventsOf(body);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_e, index) => index));
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array<string>(events.filter((e) => e.type === 'response.output_text.delta').length).fill(
        'response.output_text.delta',
      ),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const added = events
      .filter((e) => e.type === 'response.output_item.added')
      .map((e) => (e.item as { id: string }).id);
    const final = events.at(-1)!.response as {
      output: { id: string }[];
      output_text: string;
      usage: unknown;
    };
    expect(final.output.map((item) => item.id)).toEqual(added);
    expect(final.output_text).toBe('Sure.');
    expect(final.usage).toMatchObject({ input_tokens: 3, output_tokens: 4, total_tokens: 7 });
  });

  it('ends a cut answer with response.incomplete', async () => {
    const body = new ResponseEventBody(responseHeadOf({ model: 'mock/echo', input: 'hi' }));
    body.replay(completion('length'));
    const last = (await eventsOf(body)).at(-1)!;
    expect(last.type).toBe('response.incomplete');
    expect(last.response).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
    });
  });

  it('ends a broken stream with an error event, then response.failed', async () => {
    const body = new ResponseEventBody(responseHeadOf({ model: 'mock/echo', input: 'hi' }));
    body.chunk({
      id: 'c',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'm',
      choices: [{ index: 0, delta: { content: 'He' }, finish_reason: null }],
    });
    body.fail(new GatewayError('PROVIDER_ERROR', 'the provider broke off'));
    const events = await eventsOf(body);
    expect(events.slice(-2)).toEqual([
      expect.objectContaining({ type: 'error', code: 'PROVIDER_ERROR', message: 'the provider broke off' }),
      expect.objectContaining({
        type: 'response.failed',
        response: expect.objectContaining({ status: 'failed' }),
      }),
    ]);
  });
});
