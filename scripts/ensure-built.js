#!/usr/bin/env node
// `npm start` builds first when the build is missing or older than any source file, so a fresh clone
// runs with `npm ci && npm start` and a built tree starts at once.
const { execSync } = require('node:child_process');
const { existsSync, readdirSync, statSync, utimesSync } = require('node:fs');
const { join } = require('node:path');

const outputs = ['dist/apps/gateway/main.js', 'dist/apps/worker/main.js'];

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

const builtAt = Math.min(...outputs.map((file) => (existsSync(file) ? statSync(file).mtimeMs : 0)));
const sources = Math.max(newestSource('apps'), newestSource('libs'));
if (builtAt < sources) {
  process.stderr.write('breakwater: building (first start or sources changed)...\n');
  execSync('npm run build --silent', { stdio: 'inherit' });
  // webpack leaves an unchanged bundle's time alone: mark the outputs built now, or every start rebuilds.
  const now = new Date();
  for (const file of outputs) utimesSync(file, now, now);
}
