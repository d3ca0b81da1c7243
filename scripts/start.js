#!/usr/bin/env node
// `npm start` and `npm run start:worker`: build when the build is missing or stale (ensure-built.js), then
// run the app in this same process, so that a start pays for one Node boot rather than two.
const { join } = require('node:path');

const app = process.argv[2];
if (app !== 'gateway' && app !== 'worker') {
  process.stderr.write('usage: node scripts/start.js <gateway|worker>\n');
  process.exit(2);
}
require('./ensure-built');
require(join(__dirname, '..', 'dist', 'apps', app, 'main.js'));
