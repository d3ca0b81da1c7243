import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { RedisClient } from './redis-client';

/** `--- @include "includes/name"`: BullMQ's include line, a path relative to the including file, no `.lua`. */
const INCLUDE_LINE = /^---[ \t]*@include[ \t]+"([^"]+)"[ \t]*\r?$/gm;
const COMMAND_NAME = /^[a-z][A-Za-z0-9]*$/;

export interface RedisScript {
  /** The command it becomes on the client: the file's name without `.lua`. */
  name: string;
  /** The source with every include pasted in, each at most once. */
  lua: string;
}

/** The folders already defined on each connection: a second call for the same folder does nothing. */
const defined = new WeakMap<RedisClient, Set<string>>();

/**
 * Defines every `<name>.lua` of `dir` (not its `includes/`) as a command `name` on `client`, once per
 * connection. ioredis then runs it with EVALSHA and sends the source only when the server lacks it
 * (first use, a restart, SCRIPT FLUSH). A script takes its key count as its first argument. `Commands`
 * is the caller's typing of those commands; a name that would shadow a client method is refused.
 */
export function defineScripts<Commands extends object>(
  client: RedisClient,
  dir: string,
): RedisClient & Commands {
  let dirs = defined.get(client);
  if (!dirs) defined.set(client, (dirs = new Set()));
  if (!dirs.has(dir)) {
    for (const script of readScripts(dir)) {
      if (script.name in client) {
        throw new Error(`Redis script ${script.name}.lua in ${dir} would replace a client method: rename it`);
      }
      client.defineCommand(script.name, { lua: script.lua });
    }
    dirs.add(dir);
  }
  return client as RedisClient & Commands;
}

/**
 * The scripts of `dir` with their includes resolved (the same text as BullMQ's build step produces):
 * nested includes are followed, a snippet two scripts share is pasted once into each, a cycle is refused.
 */
export function readScripts(dir: string): RedisScript[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.lua'));
  } catch {
    files = [];
  }
  if (files.length === 0) {
    throw new Error(
      `No Lua scripts in ${dir}: the build must copy each lib's src/lua folder beside the compiled code (scripts/build.js)`,
    );
  }
  return files.sort().map((file) => {
    const name = basename(file, '.lua');
    if (!COMMAND_NAME.test(name)) {
      throw new Error(`Redis script ${file} in ${dir}: name it in camelCase, it becomes the command's name`);
    }
    const path = join(dir, file);
    return { name, lua: withIncludes(path, [path], new Set()) };
  });
}

function withIncludes(path: string, stack: readonly string[], pasted: Set<string>): string {
  return readLua(path, stack).replace(INCLUDE_LINE, (_line, include: string) => {
    const target = join(dirname(path), `${include}.lua`);
    if (stack.includes(target)) {
      const cycle = [...stack, target].map((file) => relative(dirname(stack[0]), file)).join(' -> ');
      throw new Error(`Redis script includes form a cycle: ${cycle}`);
    }
    if (pasted.has(target)) return '';
    pasted.add(target);
    return withIncludes(target, [...stack, target], pasted);
  });
}

function readLua(path: string, stack: readonly string[]): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    const from = stack.length > 1 ? ` (included by ${stack[stack.length - 2]})` : '';
    throw new Error(`Redis script ${path}${from} cannot be read`);
  }
}
