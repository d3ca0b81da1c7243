#!/usr/bin/env node
// `npm run build`: one SWC pass over every app's and lib's src/ into dist/, with no type check (`npm run
// typecheck` does that). The output keeps the source layout (dist/apps/<app>/src, dist/libs/<lib>/src)
// because SWC rewrites each `@breakwater/<lib>` import into a relative path between source files; the Lua and
// JSON files are copied beside the code that reads them. Each app gets its stable entry point,
// dist/apps/<app>/main.js.
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { readFileSync, readdirSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

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

/** Feeds every file under `dir` (path and content, in a fixed order) to `hash`. */
function hashTree(hash, dir) {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) hashTree(hash, path);
    else hash.update(relative(ROOT, path)).update(readFileSync(path));
  }
}

/** Compiles everything afresh and writes the entry points; throws when SWC refuses a file (it says which). */
function build() {
  const { status } = spawnSync(process.execPath, [SWC, ...SOURCES, ...SWC_OPTIONS], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (status !== 0) throw new Error('breakwater: the build failed (SWC names the file above)');
  // The entry names the output's digest, so that its own hash (what the bench records as "which build ran")
  // changes whenever the compiled code does, as a bundle's did.
  const hash = createHash('sha256');
  hashTree(hash, join(ROOT, 'dist'));
  const digest = hash.digest('hex').slice(0, 16);
  for (const app of APPS) {
    const entry = `'use strict';\n// Build ${digest}.\nrequire('./src/main');\n`;
    writeFileSync(join(ROOT, 'dist/apps', app, 'main.js'), entry);
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
