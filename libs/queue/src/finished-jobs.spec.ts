import { setTimeout as sleep } from 'node:timers/promises';
import { FinishedJobs } from './finished-jobs';

const HOUR_MS = 3_600_000;

describe('FinishedJobs', () => {
  it('forgets the oldest finished jobs once the byte budget is exceeded, even one just read', () => {
    const finished = new FinishedJobs<{ n: number }>(1000, HOUR_MS);
    finished.keep('a', { n: 1 }, 400);
    finished.keep('b', { n: 2 }, 400);
    expect(finished.get('a')).toEqual({ n: 1 });
    finished.keep('c', { n: 3 }, 400);
    expect(finished.get('a')).toBeUndefined();
    expect(finished.get('b')).toEqual({ n: 2 });
    expect(finished.get('c')).toEqual({ n: 3 });
    expect(finished.bytes).toBe(800);
  });

  it('does not keep a job larger than the whole budget, and keeps the others', () => {
    const finished = new FinishedJobs<{ n: number }>(1000, HOUR_MS);
    finished.keep('small', { n: 1 }, 10);
    finished.keep('huge', { n: 2 }, 1001);
    expect(finished.get('huge')).toBeUndefined();
    expect(finished.get('small')).toEqual({ n: 1 });
    expect(finished.bytes).toBe(10);
  });

  it('forgets a job after the retention period', async () => {
    const finished = new FinishedJobs<{ n: number }>(1000, 50);
    finished.keep('a', { n: 1 }, 10);
    await sleep(80);
    expect(finished.get('a')).toBeUndefined();
  });
});
