#!/usr/bin/env node
// `npm run build:client`: builds @breakwater/client (libs/client/src) into <package>/dist, by default
// packages/client/dist, as ESM (dist/esm) and CommonJS (dist/cjs), each with its own declarations.
//
// The package must install on its own, and @breakwater/contracts is not published: the client imports only
// types from it, so the contract sources are copied beside the client's in a staging directory and the
// import is pointed at the copy. SWC compiles the client's files only (the contract types vanish from the
// JavaScript, as client-package.spec.ts checks), and tsc writes declarations for both, so the .d.ts files
// carry the contract types with them. Relative imports get their `.js` extension in the staging copy,
// because Node's ESM loader and TypeScript's node16 resolution of an ESM .d.ts both require it.
const { spawnSync } = require('node:child_process');
const {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');

const ROOT = join(__dirname, '..');
const SWC = require.resolve('@swc/cli/bin/swc.js');
const TSC = require.resolve('typescript/bin/tsc');
const LIBS = { client: join(ROOT, 'libs/client/src'), contracts: join(ROOT, 'libs/contracts/src') };
const FORMATS = { esm: { swc: 'es6', type: 'module' }, cjs: { swc: 'commonjs', type: 'commonjs' } };

function run(tool, args, cwd = ROOT) {
  const { status } = spawnSync(process.execPath, [tool, ...args], { cwd, stdio: 'inherit' });
  if (status !== 0) throw new Error(`build-client: ${tool} failed (it says why above)`);
}

/** `./x` becomes `./x.js` and `@breakwater/contracts` the staged copy; nothing else is an import here. */
function staged(source, contractsSpecifier) {
  return source
    .replace(/(from\s+')(\.{1,2}\/[^']+)(')/g, '$1$2.js$3')
    .replace(/from\s+'@breakwater\/contracts'/g, `from '${contractsSpecifier}'`);
}

/** Copies a lib's sources, specs left out, into `to` with their imports rewritten. */
function stage(from, to, contractsSpecifier) {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from).filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))) {
    writeFileSync(join(to, name), staged(readFileSync(join(from, name), 'utf8'), contractsSpecifier));
  }
}

/** Builds into `<packageDir>/dist`, replacing what was there. */
function buildClient(packageDir = join(ROOT, 'packages/client')) {
  const dist = join(resolve(packageDir), 'dist');
  const staging = mkdtempSync(join(tmpdir(), 'breakwater-client-'));
  try {
    stage(LIBS.client, join(staging, 'src'), './contracts/index.js');
    stage(LIBS.contracts, join(staging, 'src/contracts'), '@breakwater/contracts');
    rmSync(dist, { recursive: true, force: true });
    // One declaration pass serves both formats: the files are the same, only the package.json beside them differs.
    run(TSC, [
      join(staging, 'src/index.ts'),
      ...[
        '--declaration',
        '--emitDeclarationOnly',
        '--outDir',
        join(dist, 'esm'),
        '--rootDir',
        join(staging, 'src'),
      ],
      ...['--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'],
      ...['--lib', 'es2023,dom', '--types', 'node', '--strict', '--skipLibCheck'],
    ]);
    cpSync(join(dist, 'esm'), join(dist, 'cjs'), { recursive: true });
    for (const [format, { swc, type }] of Object.entries(FORMATS)) {
      const out = join(dist, format);
      run(
        SWC,
        [
          'src',
          ...[
            '--out-dir',
            out,
            '--strip-leading-paths',
            '--no-swcrc',
            '--ignore',
            'src/contracts/**',
            '--quiet',
          ],
          ...['-C', 'jsc.parser.syntax=typescript', '-C', 'jsc.target=es2022', '-C', `module.type=${swc}`],
        ],
        staging,
      );
      // The nearest package.json decides how Node and TypeScript read each directory's .js and .d.ts.
      writeFileSync(join(out, 'package.json'), `${JSON.stringify({ type }, null, 2)}\n`);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return dist;
}

module.exports = { buildClient };

if (require.main === module) {
  try {
    console.log(`built ${buildClient(process.argv[2])}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
