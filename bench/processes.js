'use strict';
// The processes the bench starts (stub upstream, redis-server, gateway), each on a free loopback port,
// each remembered so that stopAll() can end it on success, on error and on Ctrl-C.
const { spawn, spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const net = require('node:net');
const { join } = require('node:path');

const REPO = join(__dirname, '..');
/** USER_HZ: the unit of the CPU times in /proc/<pid>/stat (100 on Linux). */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
const running = new Set();

function track(child, name) {
  const entry = { child, name, exited: new Promise((resolve) => child.once('exit', resolve)) };
  running.add(entry);
  entry.exited.then(() => running.delete(entry));
  return entry;
}

function isRunning(child) {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`. Resolves once it has exited. */
async function stopProcess(entry, graceMs = 5000) {
  if (!isRunning(entry.child)) return;
  entry.child.kill('SIGTERM');
  const timer = setTimeout(() => isRunning(entry.child) && entry.child.kill('SIGKILL'), graceMs);
  await entry.exited;
  clearTimeout(timer);
}

/** Ends every process the bench started and is still running. */
function stopAll() {
  return Promise.all([...running].map((entry) => stopProcess(entry)));
}

/** Last resort on process exit (a crash the finally blocks never saw): SIGKILL whatever still runs. */
function killAllNow() {
  for (const { child } of running) if (isRunning(child)) child.kill('SIGKILL');
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The stub upstream in its own process; resolves once it has printed its port. */
function startStub(latencyMs) {
  const child = spawn(
    process.execPath,
    [join(__dirname, 'stub-upstream.js'), '--latency-ms', String(latencyMs)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const entry = track(child, `stub upstream (${latencyMs} ms)`);
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error('the stub upstream did not print its port within 10 s')),
      10_000,
    );
    child.stdout.on('data', (chunk) => {
      output += chunk.toString();
      const match = /^(\d+)\n/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      const port = Number(match[1]);
      resolve({ port, url: `http://127.0.0.1:${port}`, stop: () => stopProcess(entry) });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the stub upstream exited with ${code} before listening`));
    });
  });
}

/** Sends one command to Redis in RESP and resolves with the first line of the reply. */
function redisCommand(port, args, timeoutMs = 1000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('redis did not answer')));
    socket.on('connect', () => {
      socket.write(
        `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`,
      );
    });
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      const end = reply.indexOf('\r\n');
      if (end === -1) return;
      socket.end();
      resolve(reply.slice(0, end));
    });
    socket.on('error', reject);
  });
}

/**
 * A redis-server of the bench's own on a free port in `dir`, nothing persisted (`--save ''
 * --appendonly no`), `noeviction` as BullMQ requires. Never the machine's shared Redis.
 */
async function startRedis(dir) {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'redis-server is not on PATH. The bench starts its own Redis 7: install it with `apt-get install redis-server`.',
    );
  }
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
  ];
  args.push('--maxmemory-policy', 'noeviction', '--loglevel', 'warning');
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const entry = track(child, 'redis-server');
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (!isRunning(child)) throw new Error(`redis-server on port ${port} exited at start`);
    if ((await redisCommand(port, ['PING']).catch(() => '')) === '+PONG') break;
    if (Date.now() > deadline)
      throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
    await sleep(50);
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    /** Empties Redis so that each gateway row starts with no cache entries, counters or jobs. */
    flush: async () => {
      const reply = await redisCommand(port, ['FLUSHALL'], 10_000);
      if (reply !== '+OK') throw new Error(`FLUSHALL answered ${reply}`);
    },
    stop: () => stopProcess(entry),
  };
}

/** The last `lines` lines of a file, for error messages. */
function tail(path, lines = 15) {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * The production build of the gateway (`dist/apps/gateway/main.js`) with only `env` (and PATH) as its
 * environment, started in `cwd` so that no stray `.env` file changes what is measured. Its stdout and
 * stderr go straight to the file `logFd` (no pipe for the bench to drain). Resolves once
 * `/health/ready` answers 200 with status `ok` (Redis connected, not embedded mode).
 */
function startGateway(options) {
  return startApp('gateway', 'PORT', options);
}

/** The worker process (`dist/apps/worker/main.js`), started and awaited like the gateway. */
function startWorker(options) {
  return startApp('worker', 'WORKER_PORT', options);
}

async function startApp(app, portVariable, { env, cwd, logFd, logPath, nodeArgs = [] }) {
  const port = await freePort();
  const main = join(REPO, `dist/apps/${app}/main.js`);
  // Which build ran: someone rebuilding dist/ during a run changes what later rows measure.
  const build = createHash('sha256').update(readFileSync(main)).digest('hex').slice(0, 12);
  const child = spawn(process.execPath, [...nodeArgs, main], {
    cwd,
    env: { PATH: process.env.PATH || '', ...env, [portVariable]: String(port) },
    stdio: ['ignore', logFd, logFd],
  });
  const entry = track(child, app);
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  let readiness;
  for (;;) {
    if (!isRunning(child)) {
      throw new Error(
        `the ${app} exited at start (code ${child.exitCode}); ${logPath} ends with:\n${tail(logPath)}`,
      );
    }
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1000) });
      readiness = await response.json();
      if (response.status === 200 && readiness.status === 'ok') break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 30_000) {
      await stopProcess(entry);
      throw new Error(
        `the ${app} was not ready (status ok) within 30 s; last readiness: ${JSON.stringify(readiness)}`,
      );
    }
    await sleep(50);
  }
  return {
    url,
    build,
    pid: child.pid,
    spawnedAt: started,
    startMs: Date.now() - started,
    /**
     * CPU time (user + system) the process has used so far, in ms: divided by the requests served, the
     * cost of a request, which other load on the machine slows but does not inflate.
     */
    cpuMs() {
      try {
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
      } catch {
        return null;
      }
    },
    /** Peak resident memory of the process since it started (VmHWM), in MB. */
    rssPeakMb() {
      try {
        const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return match ? Math.round(Number(match[1]) / 1024) : null;
      } catch {
        return null;
      }
    },
    /** SIGTERM (graceful shutdown) and the milliseconds it took to exit. */
    async stop() {
      const stopping = Date.now();
      await stopProcess(entry, 10_000);
      return Date.now() - stopping;
    },
  };
}

module.exports = { REPO, startStub, startRedis, startGateway, startWorker, stopAll, killAllNow };
