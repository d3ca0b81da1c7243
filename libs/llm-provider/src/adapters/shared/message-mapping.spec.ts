import { ChatMessage } from '@breakwater/contracts';
import { parseDataUrl } from './data-url';
import { ContentSpelling, contentBlocks, jsonObject, toTurns } from './message-mapping';

const spelling: ContentSpelling<string> = {
  text: (text) => `text:${text}`,
  image: (url) => (url.startsWith('https://') ? `image:${url}` : undefined),
};

const turnsOf = (messages: ChatMessage[]) =>
  toTurns<'u' | 'a', string>(messages, {
    userRole: 'u',
    assistantRole: 'a',
    user: (message) => contentBlocks(message.content, spelling),
    assistant: (message) => [
      ...contentBlocks(message.content, spelling),
      ...(message.tool_calls ?? []).map((call) => `call:${call.id}`),
    ],
    tool: (message) => [`result:${message.tool_call_id}`],
  });

describe('toTurns', () => {
  it('joins system and developer text, puts tool results in user turns and merges runs of one role', () => {
    expect(
      turnsOf([
        { role: 'system', content: 'S1' },
        { role: 'user', content: 'q' },
        { role: 'developer', content: [{ type: 'text', text: 'S2' }] },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', content: '42', tool_call_id: 'c1' },
        { role: 'user', content: 'and?' },
      ]),
    ).toEqual({
      system: 'S1\n\nS2',
      turns: [
        { role: 'u', blocks: ['text:q'] },
        { role: 'a', blocks: ['call:c1'] },
        { role: 'u', blocks: ['result:c1', 'text:and?'] },
      ],
    });
  });

  it('leaves out the system text when every system message is empty, and turns with no blocks', () => {
    expect(
      turnsOf([
        { role: 'system', content: '' },
        { role: 'assistant', content: '' },
        { role: 'user', content: 'hi' },
      ]),
    ).toEqual({ turns: [{ role: 'u', blocks: ['text:hi'] }] });
  });
});

describe('contentBlocks', () => {
  it('keeps text and the images the provider takes, in order, and drops empty text and other parts', () => {
    expect(
      contentBlocks(
        [
          { type: 'text', text: 'a' },
          { type: 'text', text: '' },
          { type: 'image_url', image_url: { url: 'https://x/y.png' } },
          { type: 'image_url', image_url: { url: 'ftp://x/y.png' } },
          { type: 'image_url', image_url: {} },
          { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
          { type: 'text', text: 'b' },
        ],
        spelling,
      ),
    ).toEqual(['text:a', 'image:https://x/y.png', 'text:b']);
    expect(contentBlocks('', spelling)).toEqual([]);
    expect(contentBlocks(null, spelling)).toEqual([]);
  });
});

describe('jsonObject', () => {
  it.each([
    ['{"a":1}', { a: 1 }],
    ['', {}],
    ['[1]', {}],
    ['"text"', {}],
    ['3', {}],
    ['null', {}],
    ['{not json', {}],
  ])('reads %j as %j', (text, expected) => {
    expect(jsonObject(text)).toEqual(expected);
  });
});

describe('parseDataUrl', () => {
  it('splits a base64 data URL and refuses every other URL', () => {
    expect(parseDataUrl('data:image/png;base64,iVBO\nRw0=')).toEqual({
      mediaType: 'image/png',
      data: 'iVBO\nRw0=',
    });
    expect(parseDataUrl('data:text/plain,hello')).toBeUndefined();
    expect(parseDataUrl('https://example.com/a.png')).toBeUndefined();
  });
});
