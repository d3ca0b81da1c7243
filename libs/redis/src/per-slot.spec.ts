import { mapSlotGroups, slotRuns, takeInSlotRuns } from './per-slot';

// `{a}` and `{b}` are hash tags: Redis Cluster hashes `{a}1` and `{a}2` like `a` (slot 15495), `{b}1` like
// `b` (slot 3300), so the first two share a slot and the third does not.
const A1 = '{a}1';
const A2 = '{a}2';
const B1 = '{b}1';

describe('mapSlotGroups', () => {
  it('runs once per slot group, all at once, and puts the results back in key order', async () => {
    const calls: number[][] = [];
    let inFlight = 0;
    let most = 0;
    const results = await mapSlotGroups([A1, B1, A2], true, async (group) => {
      calls.push(group);
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return group.map((index) => `result ${index}`);
    });
    expect(calls).toEqual([[0, 2], [1]]);
    expect(most).toBe(2);
    expect(results).toEqual(['result 0', 'result 1', 'result 2']);
  });

  it('runs once over every key off a cluster', async () => {
    const calls: number[][] = [];
    await mapSlotGroups([A1, B1, A2], false, (group) => {
      calls.push(group);
      return Promise.resolve(group);
    });
    expect(calls).toEqual([[0, 1, 2]]);
  });
});

describe('slotRuns', () => {
  it('cuts a slot group where a key of another slot comes between', () => {
    expect(slotRuns([A1, B1, A2], true)).toEqual([[0], [1], [2]]);
    expect(slotRuns([A1, A2, B1], true)).toEqual([[0, 1], [2]]);
  });

  it('is one run off a cluster', () => {
    expect(slotRuns([A1, B1, A2], false)).toEqual([[0, 1, 2]]);
  });
});

describe('takeInSlotRuns', () => {
  /** Keys with room left (taking one uses it up), as a script taking in all of a run's keys or none would. */
  const storeOf = (keys: string[], full: Set<string>) => {
    const held = new Set<string>();
    const calls: string[] = [];
    return {
      held,
      calls,
      take: (run: number[]) => {
        calls.push(`take ${run.join(',')}`);
        const at = run.findIndex((index) => full.has(keys[index]) || held.has(keys[index]));
        if (at >= 0) return Promise.resolve({ at, refusal: `full: ${keys[run[at]]}` });
        for (const index of run) held.add(keys[index]);
        return Promise.resolve(undefined);
      },
      giveBack: (run: number[]) => {
        calls.push(`give back ${run.join(',')}`);
        for (const index of run) held.delete(keys[index]);
        return Promise.resolve();
      },
    };
  };

  it('takes in every run and gives nothing back when none refuses', async () => {
    const keys = [A1, B1, A2];
    const store = storeOf(keys, new Set());
    expect(await takeInSlotRuns(keys, true, store.take, store.giveBack)).toBeUndefined();
    expect(store.calls).toEqual(['take 0', 'take 1', 'take 2']);
    expect([...store.held].sort()).toEqual([A1, A2, B1]);
  });

  it('gives back what the runs before a refusing run took, and names the refusal by its index in the keys', async () => {
    const keys = [A1, A2, B1];
    const store = storeOf(keys, new Set([B1]));
    expect(await takeInSlotRuns(keys, true, store.take, store.giveBack)).toEqual({
      index: 2,
      refusal: `full: ${B1}`,
    });
    expect(store.calls).toEqual(['take 0,1', 'take 2', 'give back 0,1']);
    expect(store.held.size).toBe(0);
  });

  it('finds the first refusing key as one script over all keys would, when two keys apart share a slot', async () => {
    // A2 (index 2) and B1 (index 1) are both full: a single script checks B1 first.
    const keys = [A1, B1, A2];
    const store = storeOf(keys, new Set([B1, A2]));
    expect(await takeInSlotRuns(keys, true, store.take, store.giveBack)).toMatchObject({ index: 1 });
    expect(store.held.size).toBe(0);
  });

  it('makes one call over every key off a cluster, with nothing to give back', async () => {
    const keys = [A1, B1, A2];
    const store = storeOf(keys, new Set([A2]));
    expect(await takeInSlotRuns(keys, false, store.take, store.giveBack)).toMatchObject({ index: 2 });
    expect(store.calls).toEqual(['take 0,1,2']);
  });

  it('gives back what was taken when a run fails, and throws its error on', async () => {
    const keys = [A1, B1];
    const store = storeOf(keys, new Set());
    const failing = async (run: number[]) => {
      if (run[0] === 1) throw new Error('node lost');
      return store.take(run);
    };
    await expect(takeInSlotRuns(keys, true, failing, store.giveBack)).rejects.toThrow('node lost');
    expect(store.calls).toEqual(['take 0', 'give back 0']);
    expect(store.held.size).toBe(0);
  });

  it('answers the refusal when a give-back cannot reach its node (the lease frees it), but throws any other failure', async () => {
    const keys = [A1, B1];
    const store = storeOf(keys, new Set([B1]));
    const unreachable = () => Promise.reject(new Error('Connection is closed.'));
    expect(await takeInSlotRuns(keys, true, store.take, unreachable)).toMatchObject({ index: 1 });
    const broken = () => Promise.reject(new Error('ERR unknown command'));
    store.held.clear();
    await expect(takeInSlotRuns(keys, true, store.take, broken)).rejects.toThrow('ERR unknown command');
  });
});
