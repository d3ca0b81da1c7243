import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readScripts } from './redis-scripts';

// Include resolution on files in a temporary folder; defining and running the scripts against a real
// redis-server is in test/int/redis-scripts.int-spec.ts.
describe('readScripts', () => {
  let dir: string;
  const write = (path: string, text: string): void => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'breakwater-lua-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('pastes includes in place, nested ones too, each once per script, and leaves includes/ out', () => {
    write('includes/inner.lua', 'local function inner() end\n');
    write('includes/outer.lua', '--- @include "inner"\nlocal function outer() inner() end\n');
    write('bothHelpers.lua', '--- @include "includes/outer"\n--- @include "includes/inner"\nreturn 1\n');
    write('plain.lua', 'return 2\n');

    const scripts = readScripts(dir);

    expect(scripts.map((script) => script.name)).toEqual(['bothHelpers', 'plain']);
    expect(scripts[0].lua).toBe(
      'local function inner() end\n\nlocal function outer() inner() end\n\n\nreturn 1\n',
    );
    expect(scripts[1].lua).toBe('return 2\n');
  });

  it('refuses an include cycle, naming it', () => {
    write('includes/a.lua', '--- @include "b"\n');
    write('includes/b.lua', '--- @include "a"\n');
    write('looping.lua', '--- @include "includes/a"\nreturn 1\n');
    expect(() => readScripts(dir)).toThrow(
      /cycle: .*includes\/a\.lua -> includes\/b\.lua -> includes\/a\.lua/,
    );
  });

  it('names the missing include and the script that wants it', () => {
    write('broken.lua', '--- @include "includes/gone"\nreturn 1\n');
    expect(() => readScripts(dir)).toThrow(
      /includes\/gone\.lua \(included by .*broken\.lua\) cannot be read/,
    );
  });

  it('refuses a folder without scripts (a build that did not copy them) and a name that is no command', () => {
    expect(() => readScripts(join(dir, 'absent'))).toThrow(/No Lua scripts in .*absent: the build must copy/);
    write('add-usage.lua', 'return 1\n');
    expect(() => readScripts(dir)).toThrow(/add-usage\.lua .*camelCase/);
  });
});
