import { isConnectionError } from './connection-error';
import { slotGroups } from './redis-client';

/**
 * On a Redis Cluster a script or a pipeline may only touch keys of one slot, so a request's keys (a caller's,
 * its end user's, the gateway's) are sent once per slot, and what comes back is put in key order again. Off
 * a cluster all keys are one group: one call, exactly as a single script over them all.
 */

/**
 * Runs `run` once per slot group of `keys`, all at once, and returns its results in key order: `run` gets a
 * group's key indexes and answers one result per index, in the group's order. The groups are independent
 * (counting windows, settling, adding usage): nothing is undone when one of them fails.
 */
export async function mapSlotGroups<T>(
  keys: readonly string[],
  clustered: boolean,
  run: (group: number[]) => Promise<T[]>,
): Promise<T[]> {
  const groups = slotGroups(keys, clustered);
  const results = await Promise.all(groups.map(run));
  const merged = new Array<T>(keys.length);
  groups.forEach((group, g) => group.forEach((index, j) => (merged[index] = results[g][j])));
  return merged;
}

/** Runs `run` once per slot group of `keys`, all at once, for groups whose replies nobody reads. */
export async function forEachSlotGroup(
  keys: readonly string[],
  clustered: boolean,
  run: (group: number[]) => Promise<unknown>,
): Promise<void> {
  await Promise.all(slotGroups(keys, clustered).map(run));
}

/**
 * The slot groups of `keys` cut into runs of consecutive keys, in key order: taking run after run finds the
 * first refusing key as one script over all keys finds it, even when two keys apart share a slot.
 */
export function slotRuns(keys: readonly string[], clustered: boolean): number[][] {
  const groupOf: number[] = [];
  slotGroups(keys, clustered).forEach((group, g) => group.forEach((index) => (groupOf[index] = g)));
  const runs: number[][] = [];
  keys.forEach((_key, index) => {
    const last = runs[runs.length - 1];
    if (last && groupOf[last[0]] === groupOf[index]) last.push(index);
    else runs.push([index]);
  });
  return runs;
}

/** What a run's script refused: `at`, the index in the run; `refusal`, what the script said about it. */
export interface RunRefusal<R> {
  at: number;
  refusal: R;
}

/**
 * All or none across slots, for scripts that take something in every key or in none (slots, budget
 * reservations): takes run by run (slotRuns) in key order. When run k refuses, what runs before it took is
 * given back and the refusal is answered with its index in `keys`, as one script over all keys would answer
 * it. Taking is no longer atomic across slots: a concurrent request may meet a hold that is about to be given
 * back, and be refused by it (never admitted past a limit). A give-back that cannot reach its node leaves
 * the hold to its lease. When `take` throws, what was taken is given back as far as it can be, and the
 * error is thrown on.
 */
export async function takeInSlotRuns<R>(
  keys: readonly string[],
  clustered: boolean,
  take: (run: number[]) => Promise<RunRefusal<R> | undefined>,
  giveBack: (run: number[]) => Promise<unknown>,
): Promise<{ index: number; refusal: R } | undefined> {
  const taken: number[][] = [];
  for (const run of slotRuns(keys, clustered)) {
    let refused: RunRefusal<R> | undefined;
    try {
      refused = await take(run);
    } catch (error) {
      await giveBackAll(taken, giveBack).catch(() => undefined);
      throw error;
    }
    if (refused) {
      await giveBackAll(taken, giveBack);
      return { index: run[refused.at], refusal: refused.refusal };
    }
    taken.push(run);
  }
  return undefined;
}

/** Gives every run back at once; an unreachable node is left to the lease, any other failure is thrown. */
async function giveBackAll(runs: number[][], giveBack: (run: number[]) => Promise<unknown>): Promise<void> {
  const outcomes = await Promise.allSettled(runs.map(giveBack));
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected' && !isConnectionError(outcome.reason)) throw outcome.reason;
  }
}
