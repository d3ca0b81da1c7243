import { redact } from './sdk-error';

describe('redact', () => {
  it('masks every occurrence of the key and cuts long messages', () => {
    expect(redact('k1 and k1', 'k1')).toBe('[redacted] and [redacted]');
    expect(redact('x'.repeat(600))).toHaveLength(501);
  });
});
