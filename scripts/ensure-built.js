#!/usr/bin/env node
// `npm start` builds first when the build is missing or older than any source file, so a fresh clone
// runs with `npm ci && npm start` and a built tree starts at once.
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { build } = require('./build');

const ROOT = join(__dirname, '..');
const OUTPUTS = ['dist/apps/gateway/main.js', 'dist/apps/worker/main.js'];

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.json') || entry.name.endsWith('.lua'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const builtAt = Math.min(
  ...OUTPUTS.map((file) => (existsSync(join(ROOT, file)) ? statSync(join(ROOT, file)).mtimeMs : 0)),
);
// .swcrc decides what the output looks like, so changing it rebuilds as a source does.
const sources = Math.max(
  newestSource(join(ROOT, 'apps')),
  newestSource(join(ROOT, 'libs')),
  statSync(join(ROOT, '.swcrc')).mtimeMs,
);
if (builtAt < sources) {
  const started = Date.now();
  try {
    build();
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`breakwater: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
