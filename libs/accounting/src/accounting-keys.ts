import { join } from 'node:path';

/** Usage hash of a caller for a day (`2025-11-23`) or a month (`2025-11`). */
export function usageKey(period: 'd' | 'm', date: string, callerId: string): string {
  return `bw:usage:${period}:${date}:${callerId}`;
}

/**
 * The lib's Lua, read from beside the running code: src/lua under jest, its copy in
 * dist/libs/accounting/src in a build. A script's name is unique across libs, as a command's name on the
 * shared connection must be.
 */
export const ACCOUNTING_SCRIPTS_DIR = join(__dirname, 'lua');
