import { QueueCapacity } from './queue-capacity';

describe('QueueCapacity', () => {
  it('refuses from the high watermark until the depth falls under the low one', () => {
    const capacity = new QueueCapacity(10, 0.8, 0.6);
    expect(capacity.admits(7)).toBe(true);
    expect(capacity.admits(8)).toBe(false);
    expect(capacity.admits(7)).toBe(false);
    expect(capacity.admits(6)).toBe(false);
    expect(capacity.admits(5)).toBe(true);
    expect(capacity.admits(7)).toBe(true);
    expect(capacity.admits(8)).toBe(false);
  });

  it('refuses at once when the high watermark rounds to a single job', () => {
    const capacity = new QueueCapacity(1, 0.8, 0.6);
    expect(capacity.admits(0)).toBe(true);
    expect(capacity.admits(1)).toBe(false);
    expect(capacity.admits(0)).toBe(true);
  });

  it('calls a depth roomy only under half the high watermark, and never while refusing', () => {
    const capacity = new QueueCapacity(100, 0.8, 0.6);
    expect([39, 40].map((depth) => capacity.roomy(depth))).toEqual([true, false]);
    capacity.admits(80);
    expect(capacity.roomy(0)).toBe(false);
  });
});
