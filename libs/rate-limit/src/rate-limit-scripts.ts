import { join } from 'node:path';

/**
 * The lib's Lua (`lua/*.lua`, snippets in `lua/includes/`), read from beside the running code: the sources
 * under jest, the app's folder in a build (nest-cli.json copies every lib's `src/lua` there, so a script's
 * name is unique across libs, as a command's name on the shared connection must be anyway).
 */
export const RATE_LIMIT_SCRIPTS_DIR = join(__dirname, 'lua');
