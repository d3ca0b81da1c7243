import { GatewayError } from '@breakwater/contracts';
import { cacheDirectivesOf } from './cache-directives';

function rejection(headers: Record<string, string>): GatewayError {
  try {
    cacheDirectivesOf(headers);
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error('expected a rejection');
}

describe('cacheDirectivesOf', () => {
  it('defaults to the default mode with nothing else', () => {
    expect(cacheDirectivesOf({})).toEqual({ mode: 'default' });
  });

  it('reads x-cache-mode, whatever its case and spacing', () => {
    expect(cacheDirectivesOf({ 'x-cache-mode': 'bypass' }).mode).toBe('bypass');
    expect(cacheDirectivesOf({ 'x-cache-mode': ' Refresh ' }).mode).toBe('refresh');
    expect(cacheDirectivesOf({ 'x-cache-mode': 'default' }).mode).toBe('default');
  });

  it('reads Cache-Control: no-store as bypass and no-cache as refresh, among other directives', () => {
    expect(cacheDirectivesOf({ 'cache-control': 'no-store' }).mode).toBe('bypass');
    expect(cacheDirectivesOf({ 'cache-control': 'No-Cache' }).mode).toBe('refresh');
    expect(cacheDirectivesOf({ 'cache-control': 'max-age=0, no-cache' }).mode).toBe('refresh');
    expect(cacheDirectivesOf({ 'cache-control': 'no-cache, no-store' }).mode).toBe('bypass');
    expect(cacheDirectivesOf({ 'cache-control': 'max-age=60' }).mode).toBe('default');
  });

  it('lets the stricter of x-cache-mode and Cache-Control win', () => {
    expect(cacheDirectivesOf({ 'x-cache-mode': 'default', 'cache-control': 'no-store' }).mode).toBe('bypass');
    expect(cacheDirectivesOf({ 'x-cache-mode': 'bypass', 'cache-control': 'no-cache' }).mode).toBe('bypass');
    expect(cacheDirectivesOf({ 'x-cache-mode': 'refresh', 'cache-control': 'max-age=5' }).mode).toBe(
      'refresh',
    );
  });

  it('reads x-cache-ttl as whole positive seconds', () => {
    expect(cacheDirectivesOf({ 'x-cache-ttl': '120' }).ttlSeconds).toBe(120);
    for (const bad of ['0', '-5', '1.5', 'abc', '', '1e3', '99999999999']) {
      expect(rejection({ 'x-cache-ttl': bad })).toMatchObject({
        code: 'INVALID_REQUEST',
        param: 'x-cache-ttl',
      });
    }
  });

  it('takes x-cache-key as sent, up to 256 characters', () => {
    expect(cacheDirectivesOf({ 'x-cache-key': 'abc:summary' }).customKey).toBe('abc:summary');
    expect(cacheDirectivesOf({ 'x-cache-key': 'k'.repeat(256) }).customKey).toHaveLength(256);
    for (const bad of ['k'.repeat(257), '', '   ']) {
      expect(rejection({ 'x-cache-key': bad })).toMatchObject({
        code: 'INVALID_REQUEST',
        param: 'x-cache-key',
      });
    }
  });

  it('refuses an unknown mode, naming the header', () => {
    expect(rejection({ 'x-cache-mode': 'sometimes' })).toMatchObject({
      code: 'INVALID_REQUEST',
      param: 'x-cache-mode',
    });
  });
});
