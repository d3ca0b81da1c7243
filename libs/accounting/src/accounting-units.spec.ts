import { usdString, utcDay, utcMonth } from './accounting-units';

describe('accounting units', () => {
  it('names days and months in UTC whatever the local zone', () => {
    expect(utcDay(Date.parse('2025-11-23T23:30:00-05:00'))).toBe('2025-11-24');
    expect(utcMonth(Date.parse('2025-11-30T23:30:00-05:00'))).toBe('2025-12');
  });

  it('writes USD in fixed point, never in exponent notation', () => {
    expect(usdString(1.5e-7)).toBe('0.000000150000');
    expect(usdString(50)).toBe('50.000000000000');
  });
});
