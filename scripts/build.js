#!/usr/bin/env node
// `npm run build`: one SWC pass over every app's and lib's src/ into dist/, with no type check (`npm run
// typecheck` does that). The output keeps the source layout (dist/apps/<app>/src, dist/libs/<lib>/src)
// because SWC rewrites each `@breakwater/<lib>` import into a relative path between source files; the Lua and
// JSON files are copied beside the code that reads them. Each app gets its stable entry point,
// dist/apps/<app>/main.js.
const { spawnSync } = require('node:child_process');
const { readdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const APPS = readdirSync(join(ROOT, 'apps'));
const SOURCES = [
  ...APPS.map((app) => `apps/${app}/src`),
  ...readdirSync(join(ROOT, 'libs')).map((lib) => `libs/${lib}/src`),
];
const SWC = require.resolve('@swc/cli/bin/swc.js');
const SWC_OPTIONS = [
  '--out-dir',
  'dist',
  '--ignore',
  '**/*.spec.ts',
  '--copy-files',
  '--delete-dir-on-start',
  '--quiet',
];

/** Compiles everything afresh and writes the entry points; throws when SWC refuses a file (it says which). */
function build() {
  const { status } = spawnSync(process.execPath, [SWC, ...SOURCES, ...SWC_OPTIONS], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (status !== 0) throw new Error('breakwater: the build failed (SWC names the file above)');
  for (const app of APPS) {
    writeFileSync(join(ROOT, 'dist/apps', app, 'main.js'), "'use strict';\nrequire('./src/main');\n");
  }
}

module.exports = { ROOT, build };

if (require.main === module) {
  try {
    build();
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
