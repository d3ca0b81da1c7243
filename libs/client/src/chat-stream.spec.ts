import { BreakwaterClient, FetchLike } from './breakwater-client';
import { BreakwaterError } from './client-errors';

/** A fetch that answers every call with this event-stream body, cut into pieces where `|` stands. */
function streaming(body: string): FetchLike {
  return () => {
    const pieces = body.split('|');
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const piece of pieces) controller.enqueue(encoder.encode(piece));
        controller.close();
      },
    });
    return Promise.resolve(
      new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } }),
    );
  };
}

const chunk = (content: string) =>
  JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'mock/echo',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  });

async function contents(client: BreakwaterClient): Promise<string[]> {
  const out: string[] = [];
  for await (const piece of client.chatStream({
    model: 'mock/echo',
    messages: [{ role: 'user', content: 'x' }],
  })) {
    out.push(piece.choices[0]?.delta.content ?? '');
  }
  return out;
}

const clientOf = (fetch: FetchLike) =>
  new BreakwaterClient({ baseUrl: 'http://gateway.test', apiKey: 'k', fetch });

describe('BreakwaterClient.chatStream reading the event stream', () => {
  it('reads events split anywhere across reads, until [DONE]', async () => {
    const body = `data: ${chunk('Hel')}\n\nda|ta: ${chunk('lo')}\n|\ndata: [DONE]\n\n`;
    expect(await contents(clientOf(streaming(body)))).toEqual(['Hel', 'lo']);
  });

  it('throws the error event of a stream that broke midway, with its code, after the chunks before it', async () => {
    const error = JSON.stringify({
      error: {
        code: 'PROVIDER_UNAVAILABLE',
        message: 'provider "openai" failed midway',
        type: 'server_error',
      },
      request_id: 'r1',
    });
    const seen: string[] = [];
    const client = clientOf(streaming(`data: ${chunk('par')}\n\ndata: ${error}\n\ndata: [DONE]\n\n`));
    const failure = await (async () => {
      for await (const piece of client.chatStream({ model: 'm', messages: [] })) {
        seen.push(piece.choices[0].delta.content ?? '');
      }
    })().catch((thrown: unknown) => thrown);
    expect(seen).toEqual(['par']);
    expect(failure).toBeInstanceOf(BreakwaterError);
    expect(failure).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', requestId: 'r1' });
  });

  it('throws when the stream ends without [DONE] (cut short)', async () => {
    const failure = await contents(clientOf(streaming(`data: ${chunk('a')}\n\n`))).catch(
      (thrown: unknown) => thrown,
    );
    expect(failure).toBeInstanceOf(BreakwaterError);
    expect((failure as BreakwaterError).message).toContain('[DONE]');
  });
});
