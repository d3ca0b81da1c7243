import { GatewayError } from '@breakwater/contracts';
import { endUserOf } from './end-user';

describe('endUserOf', () => {
  it('reads the x-end-user header, trimmed', () => {
    expect(endUserOf({ 'x-end-user': '  roaster-42 ' })).toBe('roaster-42');
    expect(endUserOf({ 'x-end-user': 'tenant a:b/c@d' })).toBe('tenant a:b/c@d');
    expect(endUserOf({ 'x-end-user': 'x'.repeat(128) })).toHaveLength(128);
  });

  it('means no end user when absent or empty', () => {
    expect(endUserOf({})).toBeUndefined();
    expect(endUserOf({ 'x-end-user': '   ' })).toBeUndefined();
  });

  it.each([
    ['longer than 128 characters', 'x'.repeat(129)],
    ['a control character', 'bad\tuser'],
    ['non-ASCII', 'usér'],
  ])('refuses %s with 400 naming the header', (_what, value) => {
    const error = (() => {
      try {
        endUserOf({ 'x-end-user': value });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', param: 'x-end-user', status: 400 });
  });
});
