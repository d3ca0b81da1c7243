import { LRUCache } from 'lru-cache';

/**
 * Finished jobs of the local queue, kept for their results for the retention period and within a byte
 * budget: past it the oldest finished first are forgotten (reading one does not make it younger), and
 * one larger than the whole budget is not kept at all. Jobs not yet finished never live here, so no
 * budget ever drops accepted work.
 */
export class FinishedJobs<T extends object> {
  private readonly lru: LRUCache<string, T>;

  constructor(maxBytes: number, retentionMs: number) {
    this.lru = new LRUCache<string, T>({ maxSize: maxBytes, ttl: retentionMs });
  }

  /** What the kept jobs are charged. */
  get bytes(): number {
    return this.lru.calculatedSize;
  }

  keep(id: string, job: T, bytes: number): void {
    this.lru.set(id, job, { size: Math.max(1, bytes) });
  }

  get(id: string): T | undefined {
    return this.lru.peek(id);
  }
}
