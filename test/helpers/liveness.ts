import { setTimeout as sleep } from 'node:timers/promises';

export interface LivenessWatch {
  /** The slowest `/health/live` answer seen while the watch ran, in ms (Infinity for one that failed). */
  stop(): Promise<number>;
}

/**
 * Probes `/health/live` every `everyMs` while an attack runs, each probe with its own 1 s time limit,
 * so a test can assert the event loop kept answering (a health check, not a speed target).
 */
export function watchLiveness(baseUrl: string, everyMs = 50): LivenessWatch {
  let running = true;
  let worst = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const response = await fetch(`${baseUrl}/health/live`, { signal: AbortSignal.timeout(1000) });
        await response.arrayBuffer();
        worst = Math.max(worst, response.ok ? performance.now() - started : Infinity);
      } catch {
        worst = Infinity;
      }
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return worst;
    },
  };
}
