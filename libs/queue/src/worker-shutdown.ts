import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';

const POLL_MS = 20;

/**
 * Stops a BullMQ worker gracefully: no new jobs, the active ones finish (up to `graceMs`), then the
 * connections are dropped. BullMQ's own graceful close() also waits on the blocking connection, which
 * after a Redis restart can wait forever; the jobs are what must be waited for, not that command. A job
 * still running at the deadline keeps its lock until it expires and the stalled check gives it to
 * another worker, so nothing is lost either way.
 */
export async function closeWorker(
  worker: Worker | undefined,
  activeJobs: () => number,
  graceMs: number,
): Promise<void> {
  if (!worker) return;
  await worker.pause(true).catch(() => undefined);
  const deadline = Date.now() + graceMs;
  while (activeJobs() > 0 && Date.now() < deadline) await sleep(POLL_MS);
  await worker.close(true).catch(() => undefined);
}
