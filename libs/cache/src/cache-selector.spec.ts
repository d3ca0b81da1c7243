import { cacheKeyOf, customCacheKeyOf } from './cache-key';
import { selectionOf } from './cache-selector';

describe('selectionOf', () => {
  const full = cacheKeyOf('team-a', 'mock', 'echo', {
    model: 'mock/echo',
    messages: [{ role: 'user', content: 'x' }],
  });

  it('selects everything without parameters, a namespace prefix with ?namespace=', () => {
    expect(selectionOf({})).toEqual({ kind: 'all', prefix: 'bw:cache:v1:' });
    expect(selectionOf({ namespace: 'team-a' })).toEqual({
      kind: 'namespace',
      namespace: 'team-a',
      prefix: 'bw:cache:v1:team-a:',
    });
  });

  it('selects a full key as it is, and a custom key hashed inside ?namespace=', () => {
    expect(selectionOf({ key: full })).toEqual({ kind: 'key', key: full });
    expect(selectionOf({ key: full, namespace: 'team-a' })).toEqual({ kind: 'key', key: full });
    expect(selectionOf({ key: 'doc-1:summary', namespace: 'team-a' })).toEqual({
      kind: 'key',
      key: customCacheKeyOf('team-a', 'doc-1:summary'),
    });
  });

  it('refuses a custom key without a namespace, a mismatched namespace and glob characters', () => {
    expect(() => selectionOf({ key: 'doc-1:summary' })).toThrow(expect.objectContaining({ param: 'key' }));
    expect(() => selectionOf({ key: full, namespace: 'team-b' })).toThrow(
      expect.objectContaining({ param: 'namespace' }),
    );
    expect(() => selectionOf({ namespace: '*' })).toThrow(expect.objectContaining({ param: 'namespace' }));
    expect(() => selectionOf({ namespace: 'a:b' })).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST' }),
    );
  });
});
