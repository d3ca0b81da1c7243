import { Caller, ChatCompletionRequest } from '@breakwater/contracts';
import { CacheDirectives } from './cache-directives';
import { cacheKeyOf, customCacheKeyOf } from './cache-key';
import { planCache, plannedStatusOf } from './cache-plan';

function callerOf(cache: Caller['cache']): Caller {
  return { id: 'c', keySha256: '0'.repeat(64), role: 'caller', limits: {}, endUserLimits: {}, cache };
}

const normal = callerOf({ enabled: true, namespace: 'pipeline' });
const judge = callerOf({ enabled: false, namespace: 'pipeline', ttl_seconds: 60 });
const request: ChatCompletionRequest = { model: 'mock/echo', messages: [{ role: 'user', content: 'grade' }] };
const route = { provider: 'mock' as const, model: 'echo' };
const defaults = { ttlSeconds: 3600 };
const plan = (caller: Caller, directives: CacheDirectives, body = request) =>
  planCache(caller, body, route, directives, defaults);

describe('planCache', () => {
  it('reads, writes and shares by default, under the request hash in the caller namespace', () => {
    const result = plan(normal, { mode: 'default' });
    expect(result).toMatchObject({
      read: true,
      write: true,
      shared: true,
      ttlSeconds: 3600,
      provider: 'mock',
    });
    expect(result.key).toBe(cacheKeyOf('pipeline', 'mock', 'echo', request));
    expect(plannedStatusOf(result)).toBe('MISS');
  });

  it('neither reads nor writes nor shares on bypass', () => {
    const result = plan(normal, { mode: 'bypass', customKey: 'k' });
    expect(result).toMatchObject({ read: false, write: false, shared: false });
    expect(result.key).toBeUndefined();
    expect(plannedStatusOf(result)).toBe('BYPASS');
  });

  it('writes without reading or sharing on refresh', () => {
    const result = plan(normal, { mode: 'refresh' });
    expect(result).toMatchObject({ read: false, write: true, shared: false });
    expect(result.key).toBe(cacheKeyOf('pipeline', 'mock', 'echo', request));
    expect(plannedStatusOf(result)).toBe('MISS');
  });

  it('uses a custom key inside the namespace instead of the hash', () => {
    expect(plan(normal, { mode: 'default', customKey: 'doc-9:summary' }).key).toBe(
      customCacheKeyOf('pipeline', 'doc-9:summary'),
    );
  });

  it('takes the TTL from x-cache-ttl, else the caller, else CACHE_TTL_SECONDS', () => {
    const withTtl = callerOf({ enabled: true, namespace: 'p', ttl_seconds: 600 });
    expect(plan(withTtl, { mode: 'default', ttlSeconds: 5 }).ttlSeconds).toBe(5);
    expect(plan(withTtl, { mode: 'default' }).ttlSeconds).toBe(600);
    expect(plan(normal, { mode: 'default' }).ttlSeconds).toBe(3600);
  });

  it('keeps a structured response_format for checking hits, and no text format', () => {
    const format = { type: 'json_schema' as const, json_schema: { name: 'g', schema: { type: 'object' } } };
    expect(plan(normal, { mode: 'default' }, { ...request, response_format: format }).responseFormat).toEqual(
      format,
    );
    expect(
      plan(normal, { mode: 'default' }, { ...request, response_format: { type: 'text' } }).responseFormat,
    ).toBeUndefined();
  });

  it('is plain data that survives a queued job (JSON round trip)', () => {
    const result = plan(
      normal,
      { mode: 'default', ttlSeconds: 30 },
      { ...request, response_format: { type: 'json_object' } },
    );
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(JSON.parse(JSON.stringify(result))).toMatchObject({ key: result.key, ttlSeconds: 30, read: true });
  });

  const modes = ['default', 'bypass', 'refresh'] as const;
  const customKeys = [undefined, 'shared-key'];
  const ttls = [undefined, 1, 86400];
  it('never reads, writes, shares or even names a key for a caller whose cache is off, whatever the headers', () => {
    let combinations = 0;
    for (const mode of modes) {
      for (const customKey of customKeys) {
        for (const ttlSeconds of ttls) {
          const result = plan(judge, { mode, customKey, ttlSeconds });
          expect(result).toMatchObject({ read: false, write: false, shared: false });
          expect(result.key).toBeUndefined();
          expect(plannedStatusOf(result)).toBe('BYPASS');
          combinations++;
        }
      }
    }
    expect(combinations).toBe(18);
  });
});
