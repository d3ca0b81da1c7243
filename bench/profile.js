'use strict';
// `--profile <scenario>`: the gateway of that scenario's rows runs with `node --cpu-prof`; when it exits,
// its profile (Chrome DevTools format: open it in chrome://inspect or speedscope) is summarised here as
// self time per function and per package, so the table says which layer costs what.
const fs = require('node:fs');
const path = require('node:path');

const TOP = 12;

/** Where a frame's code lives: an npm package, Node's own code, the gateway's code, or V8 (GC, idle). */
function packageOf(url) {
  if (!url) return '(v8: gc, idle, native)';
  if (url.startsWith('node:')) return 'node';
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  return url.includes('/dist/') ? 'breakwater' : path.basename(url);
}

/** Self time per frame, over the samples taken `skipMs` or later after the profile began. */
function selfTimes(profile, skipMs) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  let at = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] || 0;
    at += delta;
    if (at >= skipMs * 1000) self.set(id, (self.get(id) || 0) + delta);
  });
  return [...self].map(([id, micros]) => ({ frame: byId.get(id).callFrame, micros }));
}

function top(map, total) {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([name, micros]) => ({
      name,
      ms: Math.round(micros / 1000),
      share: Math.round((micros / total) * 1000) / 10,
    }));
}

/**
 * Summarises the newest profile in `dir`: its path, the busy share, and self time by package and function,
 * leaving out the first `skipMs` (the start-up before the load began).
 */
function summariseProfile(dir, skipMs = 0) {
  const files = fs.readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
  if (!files.length) return { file: null, note: `no profile was written in ${dir}` };
  const file = path.join(dir, files.sort().at(-1));
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const frames = selfTimes(profile, skipMs);
  const total = frames.reduce((sum, { micros }) => sum + micros, 0) || 1;
  const byPackage = new Map();
  const byFunction = new Map();
  for (const { frame, micros } of frames) {
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') continue;
    const pkg = packageOf(frame.url);
    byPackage.set(pkg, (byPackage.get(pkg) || 0) + micros);
    const name = frame.url
      ? `${frame.functionName || '(anonymous)'} ${pkg}:${frame.lineNumber + 1}`
      : frame.functionName;
    byFunction.set(name, (byFunction.get(name) || 0) + micros);
  }
  const idle = frames
    .filter(({ frame }) => frame.functionName === '(idle)')
    .reduce((sum, { micros }) => sum + micros, 0);
  return {
    file: path.relative(path.join(__dirname, '..'), file),
    busyShare: Math.round((1 - idle / total) * 1000) / 10,
    byPackage: top(byPackage, total),
    byFunction: top(byFunction, total),
  };
}

/** The summary as lines for the report's notes. */
function profileLines(where, summary) {
  if (!summary.file) return [`${where}: ${summary.note}`];
  const list = (entries) => entries.map((entry) => `${entry.name} ${entry.share}%`).join(', ');
  return [
    `${where}: CPU profile ${summary.file} (busy ${summary.busyShare}% of the samples)`,
    `  self time by package: ${list(summary.byPackage)}`,
    `  self time by function: ${list(summary.byFunction)}`,
  ];
}

module.exports = { profileLines, summariseProfile };
