import { HEADER, headerOf } from './http-headers';

describe('headerOf', () => {
  it('reads a header once, a repeated one joined as Node joins it on the wire, and nothing when absent', () => {
    expect(headerOf({ 'x-end-user': 'a' }, HEADER.endUser)).toBe('a');
    expect(headerOf({ 'x-end-user': ['a', 'b'] }, HEADER.endUser)).toBe('a, b');
    expect(headerOf({}, HEADER.endUser)).toBeUndefined();
  });
});
