import { backoffDelayMs } from './retry-policy';

describe('backoffDelayMs', () => {
  it('grows the ceiling exponentially from the base delay', () => {
    const top = () => 0.999999;
    expect(backoffDelayMs(1, 100, undefined, top)).toBe(99);
    expect(backoffDelayMs(2, 100, undefined, top)).toBe(199);
    expect(backoffDelayMs(4, 100, undefined, top)).toBe(799);
  });

  it('jitters over the whole range down to zero', () => {
    expect(backoffDelayMs(3, 100, undefined, () => 0)).toBe(0);
    expect(backoffDelayMs(3, 100, undefined, () => 0.5)).toBe(200);
  });

  it('never waits less than the provider asked', () => {
    expect(backoffDelayMs(1, 100, 5000, () => 0.5)).toBe(5000);
    expect(backoffDelayMs(5, 1000, 10, () => 0.5)).toBe(8000);
  });
});
