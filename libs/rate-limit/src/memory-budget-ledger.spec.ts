import { MemoryBudgetLedger } from './memory-budget-ledger';

const DAY = '2025-11-23';
const KEYS = ['caller'];

describe('MemoryBudgetLedger', () => {
  it('plays the 30-token example: calls of 18 go 200, 200, then 429', () => {
    const ledger = new MemoryBudgetLedger();
    const outcomes: number[] = [];
    for (let call = 0; call < 3; call++) {
      const id = `r${call}`;
      const refused = ledger.reserve(
        DAY,
        KEYS,
        [{ tokens: 30 }],
        { id, tokens: 300, cost: 0, expires: 1e15 },
        0,
      );
      outcomes.push(refused ? 429 : 200);
      if (!refused && ledger.drop(KEYS, id)) ledger.spend(DAY, KEYS, 18, 0);
    }
    expect(outcomes).toEqual([200, 200, 429]);
  });

  it('lets a burst through only until its estimates fill the budget', () => {
    const ledger = new MemoryBudgetLedger();
    const admitted = Array.from({ length: 5 }, (_, i) =>
      ledger.reserve(DAY, KEYS, [{ tokens: 30 }], { id: `b${i}`, tokens: 12, cost: 0, expires: 1e15 }, 0),
    ).filter((refused) => !refused);
    // 0 < 30, 12 < 30, 24 < 30, then 36 >= 30.
    expect(admitted).toHaveLength(3);
  });

  it('forgets a reservation whose lease ended (its holder died)', () => {
    const ledger = new MemoryBudgetLedger();
    expect(
      ledger.reserve(DAY, KEYS, [{ tokens: 10 }], { id: 'a', tokens: 10, cost: 0, expires: 100 }, 0),
    ).toBeUndefined();
    expect(
      ledger.reserve(DAY, KEYS, [{ tokens: 10 }], { id: 'b', tokens: 1, cost: 0, expires: 200 }, 50),
    ).toBeDefined();
    expect(
      ledger.reserve(DAY, KEYS, [{ tokens: 10 }], { id: 'c', tokens: 1, cost: 0, expires: 300 }, 150),
    ).toBeUndefined();
  });

  it('settles once: a second drop of the same reservation finds nothing', () => {
    const ledger = new MemoryBudgetLedger();
    ledger.reserve(DAY, KEYS, [{}], { id: 'x', tokens: 5, cost: 0, expires: 1e15 }, 0);
    expect(ledger.drop(KEYS, 'x')).toBe(true);
    expect(ledger.drop(KEYS, 'x')).toBe(false);
  });

  it('refuses on the end user while the caller still has room, reserving in neither', () => {
    const ledger = new MemoryBudgetLedger();
    const keys = ['caller', 'caller:alice'];
    ledger.spend(DAY, ['caller:alice'], 5, 0);
    const refused = ledger.reserve(
      DAY,
      keys,
      [{ tokens: 100 }, { tokens: 5 }],
      { id: 'y', tokens: 1, cost: 0, expires: 1e15 },
      0,
    );
    expect(refused).toEqual({ index: 1, refusal: { kind: 'tokens', spent: true } });
    expect(ledger.drop(keys, 'y')).toBe(false);
  });

  it('hands its spend over once for writing to Redis', () => {
    const ledger = new MemoryBudgetLedger();
    ledger.spend(DAY, KEYS, 7, 0.5);
    expect(ledger.takeSpend()).toEqual([{ key: 'caller', day: DAY, tokens: 7, cost: 0.5 }]);
    expect(ledger.takeSpend()).toEqual([]);
  });
});
