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
  { id: 'ops', key: 'ops-key-0001', role: 'admin' },
  { id: 'assessor', key: 'assessor-key-01', webhook_secret: 'assessor-webhook-secret-0001' },
  { id: 'other', key: 'other-key-0001' },
];
