import { join } from 'node:path';

/**
 * The lib's Lua (`lua/*.lua`, snippets in `lua/includes/`), read from beside the running code: src/lua
 * under jest, its copy in dist/libs/rate-limit/src in a build. A script's name is unique across libs, as a
 * command's name on the shared connection must be.
 */
export const RATE_LIMIT_SCRIPTS_DIR = join(__dirname, 'lua');
