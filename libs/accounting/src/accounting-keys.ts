import { join } from 'node:path';

/** Usage hash of a caller for a day (`2025-11-23`) or a month (`2025-11`). */
export function usageKey(period: 'd' | 'm', date: string, callerId: string): string {
  return `bw:usage:${period}:${date}:${callerId}`;
}

/**
 * The lib's Lua, read from beside the running code: the sources under jest, the app's folder in a build
 * (nest-cli.json copies every lib's `src/lua` there, so a script's name is unique across libs).
 */
export const ACCOUNTING_SCRIPTS_DIR = join(__dirname, 'lua');
