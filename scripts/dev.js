#!/usr/bin/env node
// `npm run start:dev`: the gateway, rebuilt (about a second) and restarted whenever a file under apps/ or
// libs/ changes. Node's own recursive fs.watch does the watching: SWC's watch mode needs chokidar, which is
// not installed.
const { spawn } = require('node:child_process');
const { watch } = require('node:fs');
const { join } = require('node:path');
const { ROOT, build } = require('./build');

const SETTLE_MS = 100;
let gateway;
let pending;

function restart() {
  if (gateway) {
    gateway.once('exit', restart);
    // SIGINT stops without SIGTERM's drain: nobody routes to a development gateway.
    gateway.kill('SIGINT');
    gateway = undefined;
    return;
  }
  try {
    build();
  } catch (error) {
    process.stderr.write(`${error.message}; waiting for the next change\n`);
    return;
  }
  gateway = spawn(process.execPath, [join(ROOT, 'dist/apps/gateway/main.js')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

for (const dir of ['apps', 'libs']) {
  // An editor's save often fires several events: one rebuild once they settle.
  watch(join(ROOT, dir), { recursive: true }, () => {
    clearTimeout(pending);
    pending = setTimeout(restart, SETTLE_MS);
  });
}
restart();
