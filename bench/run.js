'use strict';
// `npm run bench [-- --quick] [-- --only <scenario>] [-- --profile <scenario>]`: the gateway's overhead
// measured against the upstream in the same run. See bench/README.md for what each scenario means and how
// to read the table.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { measure, stopLoad } = require('./load');
const {
  REPO,
  killAllNow,
  startGateway,
  startRedis,
  startStub,
  startWorker,
  stopAll,
} = require('./processes');
const { summariseProfile } = require('./profile');
const { compareLimits, comparePassThrough, compareStreams, formatTable, judgeTargets } = require('./report');
const {
  SCENARIOS,
  UPSTREAM_API_KEY,
  accepted202,
  measureDrain,
  probe,
  targetOf,
  writeCallersFile,
} = require('./scenarios');
const { measureStreams, stopStreams } = require('./stream-load');

const RESULTS_DIR = path.join(__dirname, 'results');
const GATEWAY_MAIN = path.join(REPO, 'dist/apps/gateway/main.js');

const MODES = {
  full: { warmUpSec: 3, measureSec: 10, drainWindowSec: 10 },
  quick: { warmUpSec: 1, measureSec: 3, drainWindowSec: 3 },
};

function usage(message) {
  process.stderr.write(
    `${message}\nusage: npm run bench [-- --quick] [-- --only <scenario>[,...]] [-- --profile <scenario>] [-- --node-options "<flags>"]\n` +
      `scenarios: ${Object.entries(SCENARIOS)
        .map(([id, { aliases }]) => [id, ...aliases].join('|'))
        .join(', ')}\n`,
  );
  process.exit(2);
}

function scenarioId(name) {
  const id = Object.keys(SCENARIOS).find((key) => key === name || SCENARIOS[key].aliases.includes(name));
  if (!id) usage(`unknown scenario "${name}"`);
  return id;
}

function parseArgs(argv) {
  const options = { mode: 'full', only: null, profile: null, nodeOptions: null };
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index];
    const flag = arg.split('=')[0];
    const value = () => {
      const given = arg.includes('=') ? arg.slice(flag.length + 1) : argv[(index += 1)];
      if (!given) usage(`${flag} needs a value`);
      return given;
    };
    if (arg === '--quick') options.mode = 'quick';
    else if (flag === '--only') options.only = new Set(value().split(',').map(scenarioId));
    else if (flag === '--profile') options.profile = scenarioId(value());
    else if (flag === '--node-options') options.nodeOptions = value();
    else usage(`unknown argument "${arg}"`);
  }
  if (options.profile === 'a') usage('--profile a: the direct row does not run the gateway');
  return options;
}

/**
 * The rows to run, in order. Direct and pass-through of the same connections and upstream latency run
 * back to back, so that their ratio is taken over the shortest possible drift of the machine; so do h's
 * streams straight to the stub (`direct`) and through the gateway.
 */
function plan(mode, only) {
  const rows = [];
  const add = (scenario, connections, upstreamMs) => rows.push({ scenario, connections, upstreamMs });
  const addStreams = (connections) => {
    rows.push({ scenario: 'h', direct: true, connections, upstreamMs: 0 });
    add('h', connections, 0);
  };
  if (mode === 'quick') {
    add('a', 50, 0);
    add('b', 50, 0);
    add('g', 50, 0);
    add('f', 50, 0);
    add('a', 1, 0);
    add('b', 1, 0);
    add('c', 50, 0);
    add('e', 50, 0);
    add('d', 50, 0);
    addStreams(50);
    addStreams(1);
  } else {
    for (const upstreamMs of [0, 50]) {
      for (const connections of [1, 50]) {
        add('a', connections, upstreamMs);
        add('b', connections, upstreamMs);
      }
      if (upstreamMs !== 0) continue;
      add('g', 50, 0);
      add('f', 50, 0);
      add('c', 1, 0);
      for (const scenario of ['c', 'e', 'd']) add(scenario, 50, 0);
    }
    addStreams(1);
    addStreams(50);
  }
  return only ? rows.filter((row) => only.has(row.scenario)) : rows;
}

function commitId() {
  try {
    const git = (...args) => execFileSync('git', args, { cwd: REPO, encoding: 'utf8' }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain') ? `${head}-dirty` : head;
  } catch {
    return 'unknown';
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus.length ? cpus[0].model.trim() : 'unknown',
    cores: cpus.length,
    node: process.version,
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

function rowId({ scenario, direct, connections, upstreamMs }) {
  return `${scenario}${direct ? '-direct' : ''}-${connections}c-${upstreamMs}ms`;
}

/** h's streams are timed by their own load generator; every other row by autocannon. */
function loadOf(scenario) {
  return scenario === 'h' ? measureStreams : measure;
}

/** a, or h's `direct` row: the same request straight to the stub. */
async function runDirect(planned, context) {
  const stub = await context.stub(planned.upstreamMs);
  const target = targetOf(planned.scenario, stub.url, { direct: true });
  const probed = await probe(planned.scenario, target);
  const measured = await loadOf(planned.scenario)(target, planned.connections, context.durations);
  delete measured.warmUpStatusCodes;
  delete measured.served;
  return { status: 'measured', probe: probed, ...measured, gatewayRssPeakMb: null };
}

async function runThroughGateway(planned, context) {
  await context.redis.flush();
  const stub = await context.stub(planned.upstreamMs);
  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    REDIS_URL: context.redis.url,
    OPENAI_API_KEY: UPSTREAM_API_KEY,
    OPENAI_BASE_URL: `${stub.url}/v1`,
    CALLERS_FILE: context.callersFile,
    // Acceptance (d) is measured, not the 503 QUEUE_FULL that the default capacity gives within a second.
    QUEUE_MAX_SIZE: '1000000',
    // Only the bench-free caller (e) has no window then; the others set their own.
    RATE_LIMIT_PER_MINUTE: '0',
    // d: an API-only gateway accepts; one worker process drains afterwards (as deployed on Kubernetes).
    ...(planned.scenario === 'd' ? { RUN_WORKERS: 'false', WORKER_CONCURRENCY: '50' } : {}),
    // --node-options: V8 and Node flags to weigh (a young generation size against RSS, say).
    ...(context.nodeOptions ? { NODE_OPTIONS: context.nodeOptions } : {}),
    // g: the mock provider answers in-process (it is off in production unless enabled).
    ...(planned.scenario === 'g' ? { MOCK_PROVIDER_ENABLED: 'true' } : {}),
  };
  const processOptions = { env, cwd: context.workDir, logFd: context.logFd, logPath: context.logPath };
  const profileDir = context.profile === planned.scenario ? context.profileDir(rowId(planned)) : null;
  const spawnedAt = Date.now();
  const gateway = await startGateway({
    ...processOptions,
    nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  const row = { gatewayBuild: gateway.build, gatewayStartMs: gateway.startMs };
  try {
    const target = targetOf(planned.scenario, gateway.url);
    const probed = await probe(planned.scenario, target);
    if (!probed.available) {
      const { needs } = SCENARIOS[planned.scenario];
      return {
        status: 'unavailable',
        probe: probed,
        note: needs ? `not available yet (needs ${needs}): ${probed.detail}` : `answered ${probed.detail}`,
      };
    }
    const loadFromMs = Date.now() - spawnedAt;
    const cpuBefore = gateway.cpuMs();
    const measured = await loadOf(planned.scenario)(target, planned.connections, context.durations);
    const served = measured.served ?? measured.requests + measured.warmUpRequests;
    const cpuMsPerRequest =
      cpuBefore === null || !served
        ? null
        : Math.round(((gateway.cpuMs() - cpuBefore) / served) * 1000) / 1000;
    Object.assign(row, { status: 'measured', probe: probed, ...measured, loadFromMs, cpuMsPerRequest });
    delete row.warmUpStatusCodes;
    delete row.served;
    if (planned.scenario === 'd') {
      const accepted = 1 + accepted202(measured.warmUpStatusCodes) + accepted202(measured.statusCodes);
      const workerProfileDir = profileDir ? context.profileDir(`${rowId(planned)}-worker`) : null;
      const worker = await startWorker({
        ...processOptions,
        nodeArgs: workerProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${workerProfileDir}`] : [],
      });
      const workerReadyMs = Date.now();
      try {
        row.drain = await measureDrain(gateway.url, worker.url, accepted, context.durations.drainWindowSec);
        row.drain.workerRssPeakMb = worker.rssPeakMb();
      } finally {
        await worker.stop();
      }
      if (workerProfileDir)
        row.drain.profile = summariseProfile(workerProfileDir, workerReadyMs - worker.spawnedAt);
    }
    row.gatewayRssPeakMb = gateway.rssPeakMb();
    return row;
  } finally {
    row.gatewayStopMs = await gateway.stop();
    // The profile is written as the gateway exits.
    if (profileDir && row.status === 'measured') row.profile = summariseProfile(profileDir, row.loadFromMs);
  }
}

let interrupted = false;

function onSignal(signal) {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write(`\nbench: ${signal}: stopping everything it started...\n`);
  stopLoad();
  stopStreams();
  stopAll();
  setTimeout(() => process.exit(130), 15_000).unref();
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const durations = MODES[options.mode];
  const rows = plan(options.mode, options.only);
  if (!fs.existsSync(GATEWAY_MAIN))
    throw new Error(`${GATEWAY_MAIN} is missing: run \`npm run bench\` (it builds first)`);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', killAllNow);

  const began = Date.now();
  const report = {
    nodeOptions: options.nodeOptions,
    date: new Date().toISOString(),
    commit: commitId(),
    machine: machine(),
    mode: options.mode,
  };
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const logPath = path.join(RESULTS_DIR, 'gateway.log');
  const logFd = fs.openSync(logPath, 'w');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'breakwater-bench-'));
  const results = [];
  try {
    const stubs = new Map();
    const context = {
      durations,
      logFd,
      logPath,
      workDir,
      callersFile: writeCallersFile(workDir),
      profile: options.profile,
      nodeOptions: options.nodeOptions,
      profileDir(id) {
        const dir = path.join(RESULTS_DIR, 'profiles', id);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
        return dir;
      },
      redis: rows.some((row) => row.scenario !== 'a') ? await startRedis(workDir) : null,
      async stub(latencyMs) {
        if (!stubs.has(latencyMs)) stubs.set(latencyMs, await startStub(latencyMs));
        return stubs.get(latencyMs);
      },
    };
    const unavailable = new Set();
    for (const planned of rows) {
      if (interrupted) break;
      if (unavailable.has(planned.scenario)) continue;
      const { name: gatewayName, directName } = SCENARIOS[planned.scenario];
      const name = planned.direct ? directName : gatewayName;
      const conns = `${planned.connections} connection${planned.connections === 1 ? '' : 's'}`;
      const title = `${planned.scenario} ${name}, ${conns}, ${planned.upstreamMs} ms upstream`;
      process.stderr.write(`bench: ${title} ...`);
      const outcome =
        planned.scenario === 'a' || planned.direct
          ? await runDirect(planned, context)
          : await runThroughGateway(planned, context);
      const row = { id: rowId(planned), ...planned, name, ...outcome };
      if (row.status === 'unavailable') {
        unavailable.add(planned.scenario);
        Object.assign(row, { id: planned.scenario, connections: null, upstreamMs: null });
        process.stderr.write(` ${row.note}\n`);
      } else if (row.scenario === 'h') {
        process.stderr.write(
          ` ${row.requestsPerSec} streams/s, ${row.chunksPerSec} chunks/s, first event p99 ` +
            `${row.firstByteMs.firstEvent.p99} ms, failed ${row.errors + row.unexpected}\n`,
        );
      } else {
        process.stderr.write(
          ` ${row.requestsPerSec} req/s, p99 ${row.latencyMs.p99} ms, non-2xx ${row.non2xx}\n`,
        );
      }
      results.push(row);
    }
  } finally {
    await stopAll();
    fs.closeSync(logFd);
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  if (interrupted) {
    process.stderr.write('bench: interrupted; bench/results/latest.json left as it was\n');
    process.exitCode = 130;
    return;
  }

  comparePassThrough(results);
  compareStreams(results);
  compareLimits(results);
  Object.assign(report, { durations, scenarios: results, targets: judgeTargets(results) });
  report.elapsedSec = Math.round((Date.now() - began) / 1000);
  fs.writeFileSync(path.join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${formatTable(report)}\n\n`);
  process.stdout.write(
    `Written to bench/results/latest.json in ${report.elapsedSec} s; gateway logs in bench/results/gateway.log\n`,
  );
}

main().catch((error) => {
  if (interrupted) {
    process.stderr.write('\nbench: interrupted\n');
    process.exitCode = 130;
    return;
  }
  process.stderr.write(`\nbench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
