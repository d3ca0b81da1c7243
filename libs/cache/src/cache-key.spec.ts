import { ChatCompletionRequest, EmbeddingRequest } from '@breakwater/contracts';
import fc from 'fast-check';
import {
  canonicalJson,
  cacheKeyOf,
  canonicalEmbeddingRequest,
  customCacheKeyOf,
  embeddingsCacheKeyOf,
  sha256Hex,
} from './cache-key';

/** The recursive serialiser keys were built with before: the iterative one must write the same text. */
function recursiveCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return value === undefined ? 'null' : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(recursiveCanonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const name of Object.keys(record).sort()) {
    const member = record[name];
    if (member !== undefined) members.push(`${JSON.stringify(name)}:${recursiveCanonicalJson(member)}`);
  }
  return `{${members.join(',')}}`;
}

const base: ChatCompletionRequest = {
  model: 'openai/gpt-4o-mini',
  messages: [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'hello' },
  ],
};
const keyOf = (
  request: ChatCompletionRequest,
  namespace = 'ns',
  provider = 'openai',
  model = 'gpt-4o-mini',
) => cacheKeyOf(namespace, provider, model, request);

describe('cacheKeyOf', () => {
  it('is bw:cache:v1:<namespace>:<sha256 hex>', () => {
    expect(keyOf(base, 'pipeline')).toMatch(/^bw:cache:v1:pipeline:[0-9a-f]{64}$/);
  });

  it('ignores JSON key order at every depth', () => {
    const reordered = JSON.parse(
      '{"messages":[{"content":"be brief","role":"system"},{"content":"hello","role":"user"}],"model":"openai/gpt-4o-mini"}',
    ) as ChatCompletionRequest;
    expect(keyOf(reordered)).toBe(keyOf(base));
    const schemaA = { type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer' } } };
    const schemaB = { properties: { b: { type: 'integer' }, a: { type: 'string' } }, type: 'object' };
    const withSchema = (schema: Record<string, unknown>): ChatCompletionRequest => ({
      ...base,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema } },
    });
    expect(keyOf(withSchema(schemaA))).toBe(keyOf(withSchema(schemaB)));
  });

  it.each<[string, Partial<ChatCompletionRequest>]>([
    ['temperature 1', { temperature: 1 }],
    ['top_p 1', { top_p: 1 }],
    ['n 1', { n: 1 }],
    ['presence_penalty 0', { presence_penalty: 0 }],
    ['frequency_penalty 0', { frequency_penalty: 0 }],
    ['an empty stop list', { stop: [] }],
    ['response_format text', { response_format: { type: 'text' } }],
    ['no tools', { tools: [] }],
    ['tool_choice none without tools', { tool_choice: 'none' }],
    ['stream false', { stream: false }],
    ['a user id', { user: 'end-user-7' }],
  ])('treats %s like its absence (the provider default made explicit)', (_name, extra) => {
    expect(keyOf({ ...base, ...extra })).toBe(keyOf(base));
  });

  it.each(['stop', 'temperature', 'top_p', 'n', 'seed', 'response_format', 'tool_choice'])(
    'treats %s: null like its absence (OpenAI\'s "absent") instead of failing',
    (field) => {
      const withNull: ChatCompletionRequest = { ...base, [field]: null };
      expect(keyOf(withNull)).toBe(keyOf(base));
    },
  );

  it('treats equivalent spellings alike: a stop string and its one-item list, max_completion_tokens and max_tokens', () => {
    expect(keyOf({ ...base, stop: 'END' })).toBe(keyOf({ ...base, stop: ['END'] }));
    expect(keyOf({ ...base, max_tokens: 50 })).toBe(keyOf({ ...base, max_completion_tokens: 50 }));
    expect(keyOf({ ...base, max_tokens: 50, max_completion_tokens: 60 })).not.toBe(
      keyOf({ ...base, max_completion_tokens: 60 }),
    );
  });

  it.each<[string, Partial<ChatCompletionRequest>]>([
    ['temperature', { temperature: 0.2 }],
    ['top_p', { top_p: 0.5 }],
    ['n', { n: 2 }],
    ['max_tokens', { max_tokens: 10 }],
    ['stop', { stop: ['\n'] }],
    ['presence_penalty', { presence_penalty: 0.5 }],
    ['frequency_penalty', { frequency_penalty: 0.5 }],
    ['seed', { seed: 42 }],
    ['response_format json_object', { response_format: { type: 'json_object' } }],
    [
      'response_format json_schema',
      { response_format: { type: 'json_schema', json_schema: { name: 'g', schema: { type: 'object' } } } },
    ],
    ['tools', { tools: [{ type: 'function', function: { name: 'lookup' } }] }],
    ['tool_choice', { tool_choice: 'required' }],
    ['a parameter hashed as sent', { logit_bias: { '42': 10 } }],
  ])('changes with %s', (_name, extra) => {
    expect(keyOf({ ...base, ...extra })).not.toBe(keyOf(base));
  });

  it('changes with the messages, their order and their roles', () => {
    expect(keyOf({ ...base, messages: [{ role: 'user', content: 'hello!' }] })).not.toBe(keyOf(base));
    expect(keyOf({ ...base, messages: [...base.messages].reverse() })).not.toBe(keyOf(base));
    expect(
      keyOf({
        ...base,
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'assistant', content: 'hello' },
        ],
      }),
    ).not.toBe(keyOf(base));
  });

  it('changes with the resolved provider and model, not with how the model was spelled', () => {
    expect(keyOf(base, 'ns', 'openai', 'gpt-4o')).not.toBe(keyOf(base));
    expect(keyOf(base, 'ns', 'openrouter', 'gpt-4o-mini')).not.toBe(keyOf(base));
    expect(keyOf({ ...base, model: 'gpt-4o-mini' })).toBe(keyOf(base));
  });

  it('keeps namespaces apart', () => {
    expect(keyOf(base, 'team-a')).not.toBe(keyOf(base, 'team-b'));
    expect(keyOf(base, 'team-a').slice(-64)).toBe(keyOf(base, 'team-b').slice(-64));
  });
});

describe('customCacheKeyOf', () => {
  it('hashes the caller key inside the namespace', () => {
    const key = customCacheKeyOf('team-a', 'payload-123:summary');
    expect(key).toBe(`bw:cache:v1:team-a:${sha256Hex('payload-123:summary')}`);
    expect(customCacheKeyOf('team-b', 'payload-123:summary')).not.toBe(key);
  });

  it('makes any text a safe key (no separators or globs leak into Redis)', () => {
    expect(customCacheKeyOf('ns', 'a:*:b?[c] d')).toMatch(/^bw:cache:v1:ns:[0-9a-f]{64}$/);
  });
});

describe('canonicalJson', () => {
  it('writes what the recursive serialiser wrote, so existing keys still match, for any JSON value', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 6 }), fc.anything({ maxDepth: 4 })), (value) => {
        expect(canonicalJson(value)).toBe(recursiveCanonicalJson(value));
      }),
      { seed: 11_008, numRuns: 1_000 },
    );
  });

  it('serialises 100,000 levels of nesting (50,000 arrays and objects each) without overflowing the stack', () => {
    let deep: unknown = 'x';
    for (let level = 0; level < 50_000; level++) deep = [{ a: deep }];
    const text = canonicalJson(deep);
    expect(text.startsWith('[{"a":[{"a":')).toBe(true);
    expect(text.length).toBe(50_000 * '[{"a":}]'.length + 3);
  });

  it('sorts keys, drops undefined members and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [3, { d: undefined, c: null }], e: 'x' })).toBe(
      '{"a":[3,{"c":null}],"b":1,"e":"x"}',
    );
  });
});

describe('embeddingsCacheKeyOf', () => {
  const embedding: EmbeddingRequest = { model: 'openai/text-embedding-3-small', input: ['hello'] };
  const openai = { provider: 'openai', model: 'text-embedding-3-small' };
  const keyOfEmbedding = (request: EmbeddingRequest, provider = 'openai', model = 'text-embedding-3-small') =>
    embeddingsCacheKeyOf('ns', provider, model, request);

  it('is bw:cache:v1:<namespace>:<sha256 hex>, so invalidation finds it where it finds chat entries', () => {
    expect(keyOfEmbedding(embedding)).toMatch(/^bw:cache:v1:ns:[0-9a-f]{64}$/);
  });

  it('is the same for one text and a list of it, whatever the encoding or the user', () => {
    expect(keyOfEmbedding({ ...embedding, input: 'hello' })).toBe(keyOfEmbedding(embedding));
    expect(keyOfEmbedding({ ...embedding, encoding_format: 'base64', user: 'u-1' })).toBe(
      keyOfEmbedding(embedding),
    );
  });

  it.each<[string, EmbeddingRequest, { provider: string; model: string }]>([
    ['another text', { ...embedding, input: ['hello!'] }, openai],
    ['another order', { ...embedding, input: ['b', 'a'] }, openai],
    ['dimensions', { ...embedding, dimensions: 8 }, openai],
    ['an unknown field', { ...embedding, ...{ truncate: 'END' } }, openai],
    ['another model', embedding, { provider: 'openai', model: 'text-embedding-3-large' }],
    ['another provider', embedding, { provider: 'gemini', model: 'text-embedding-3-small' }],
  ])('differs for %s', (_name, request, route) => {
    expect(keyOfEmbedding(request, route.provider, route.model)).not.toBe(keyOfEmbedding(embedding));
  });

  it("never equals a chat request's key for the same text, model and namespace", () => {
    const chat = cacheKeyOf('ns', 'openai', 'text-embedding-3-small', {
      model: 'openai/text-embedding-3-small',
      messages: [{ role: 'user', content: 'hello' }],
      ...{ input: ['hello'], kind: 'embeddings', dimensions: null },
    });
    expect(chat).not.toBe(keyOfEmbedding(embedding));
    expect(canonicalEmbeddingRequest('openai', 'm', embedding)).toContain('"kind":"embeddings"');
  });
});
