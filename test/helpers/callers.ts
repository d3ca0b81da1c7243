import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes a CALLERS_FILE (JSON) to a temporary directory and returns its path. */
export function writeCallersFile(callers: Record<string, unknown>[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'bw-callers-')), 'callers.json');
  writeFileSync(path, JSON.stringify(callers));
  return path;
}

/** The callers most queue tests use: an admin, two ordinary callers (one signs webhooks). */
export const QUEUE_CALLERS = [
  { id: 'ops', key: 'ops-key-0000-0001', role: 'admin' },
  { id: 'assessor', key: 'assessor-key-0001', webhook_secret: 'assessor-webhook-secret-0001' },
  { id: 'other', key: 'other-key-0000-0001' },
];

/** A caller of the limits tests: its key is `<id>-key-0000-0000-0000` (see callerKey) and its cache is off. */
export interface LimitedCaller {
  id: string;
  limits?: Record<string, number>;
  end_user_limits?: Record<string, number>;
}

/** The key the limits tests give caller `id`. */
export const callerKey = (id: string): string => `${id}-key-0000-0000-0000`;

/**
 * Writes `dir/callers.json` for the limits tests: every caller's cache off, so each request reaches the
 * limits and the stub provider.
 */
export function writeLimitedCallersFile(dir: string, callers: LimitedCaller[]): string {
  const file = join(dir, 'callers.json');
  const entries = callers.map((caller) => ({
    ...caller,
    key: callerKey(caller.id),
    cache: { enabled: false },
  }));
  writeFileSync(file, JSON.stringify({ callers: entries }));
  return file;
}
