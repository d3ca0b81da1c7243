import { budgetRefusal, secondsUntilUtcMidnight } from './budget-rule';

const standing = (spentTokens: number, reservedTokens = 0, spentCost = 0, reservedCost = 0) => ({
  spentTokens,
  reservedTokens,
  spentCost,
  reservedCost,
});

describe('budget admission rule', () => {
  it('admits while spend plus reservations is under the budget, before counting the request itself', () => {
    // A budget of 30 tokens and calls that use 18 each: 200 (0 < 30), 200 (18 < 30), 429 (36 >= 30).
    const budget = { tokens: 30 };
    let spent = 0;
    const outcomes: number[] = [];
    for (let call = 0; call < 3; call++) {
      const refusal = budgetRefusal(budget, standing(spent));
      outcomes.push(refusal ? 429 : 200);
      if (!refusal) spent += 18;
    }
    expect(outcomes).toEqual([200, 200, 429]);
    expect(spent).toBe(36);
    expect(budgetRefusal(budget, standing(36))).toEqual({ kind: 'tokens', spent: true });
  });

  it('counts reservations of requests in flight, so a burst stops once estimates fill the budget', () => {
    const budget = { tokens: 30 };
    expect(budgetRefusal(budget, standing(0, 29))).toBeUndefined();
    expect(budgetRefusal(budget, standing(0, 30))).toEqual({ kind: 'tokens', spent: false });
    expect(budgetRefusal(budget, standing(10, 25))).toEqual({ kind: 'tokens', spent: false });
  });

  it('applies the USD budget the same way, and no budget refuses nothing', () => {
    expect(budgetRefusal({ costUsd: 1 }, standing(0, 0, 0.6, 0.3))).toBeUndefined();
    expect(budgetRefusal({ costUsd: 1 }, standing(0, 0, 0.6, 0.4))).toEqual({ kind: 'cost', spent: false });
    expect(budgetRefusal({ costUsd: 1 }, standing(0, 0, 1.2, 0))).toEqual({ kind: 'cost', spent: true });
    expect(budgetRefusal({ costUsd: 0 }, standing(0))).toEqual({ kind: 'cost', spent: true });
    expect(budgetRefusal({}, standing(1e9, 1e9, 1e9, 1e9))).toBeUndefined();
  });
});

describe('day roll-over', () => {
  it('waits until the next UTC midnight, rounded up', () => {
    expect(secondsUntilUtcMidnight(Date.parse('2025-11-23T23:59:59.000Z'))).toBe(1);
    expect(secondsUntilUtcMidnight(Date.parse('2025-11-23T23:59:59.400Z'))).toBe(1);
    expect(secondsUntilUtcMidnight(Date.parse('2025-11-23T12:00:00.000Z'))).toBe(43_200);
    expect(secondsUntilUtcMidnight(Date.parse('2025-11-23T00:00:00.000Z'))).toBe(86_400);
    expect(secondsUntilUtcMidnight(Date.parse('2025-12-31T23:00:00.500Z'))).toBe(3600);
  });
});
