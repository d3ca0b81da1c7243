import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestGateway, startGateway } from './helpers/gateway';
import { RedisServer, startRedis } from './helpers/redis-server';

// Child processes run asynchronously: the gateway answers the examples from this very process.
const run = promisify(execFile);
const ROOT = join(__dirname, '..');
const DOCS = readFileSync(join(ROOT, 'docs/client.md'), 'utf8');

/** The first fenced block of `language` in docs/client.md, so that the test runs what the docs show. */
function docsBlock(language: string): string {
  const block = new RegExp('^```' + language + '\\n([\\s\\S]*?)^```$', 'm').exec(DOCS);
  if (!block) throw new Error(`docs/client.md has no \`\`\`${language} block`);
  return block[1];
}

describe('@breakwater/client packed, installed into fresh projects and run as the docs show it', () => {
  let work: string;
  let tarball: string;
  let redis: RedisServer;
  let gateway: TestGateway;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'breakwater-client-package-'));
    // The package is built and packed from a copy, so that the test leaves no dist/ in the repository.
    const packageDir = join(work, 'package');
    mkdirSync(packageDir);
    cpSync(join(ROOT, 'packages/client/package.json'), join(packageDir, 'package.json'));
    await run(process.execPath, [join(ROOT, 'scripts/build-client.js'), packageDir]);
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
      cwd: packageDir,
    });
    tarball = join(work, (JSON.parse(stdout) as { filename: string }[])[0].filename);
    redis = await startRedis();
    gateway = await startGateway({ REDIS_URL: redis.url });
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await redis?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** A project of `type` with the tarball installed from disk alone: the package must need nothing else. */
  async function projectWithClient(type: 'module' | 'commonjs'): Promise<string> {
    const dir = join(work, type);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `try-${type}`, private: true, type }));
    await run('npm', ['install', tarball, '--offline', '--no-audit', '--no-fund'], { cwd: dir });
    expect(readdirSync(join(dir, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual([
      '@breakwater',
    ]);
    return dir;
  }

  const env = () => ({ ...process.env, BREAKWATER_URL: gateway.url, BREAKWATER_API_KEY: 'dev-key' });

  it('ships ESM, CommonJS and declarations, with no dependency', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'packages/client/package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest).toMatchObject({
      name: '@breakwater/client',
      version: '0.1.0',
      engines: { node: '>=20' },
    });
    expect(manifest.dependencies).toBeUndefined();
    expect(tarball).toMatch(/breakwater-client-0\.1\.0\.tgz$/);
  });

  it('runs the ES module example of the docs, and type-checks it against the packed declarations', async () => {
    const dir = await projectWithClient('module');
    writeFileSync(join(dir, 'example.js'), docsBlock('ts'));
    const { stdout, stderr } = await run(process.execPath, ['example.js'], { cwd: dir, env: env() });
    expect({ stdout, stderr }).toEqual({
      stdout: expect.stringMatching(/^mock-\w+: Grade this essay: \.\.\.\n$/),
      stderr: '',
    });

    writeFileSync(join(dir, 'example.ts'), docsBlock('ts'));
    const tsc = [require.resolve('typescript/bin/tsc'), 'example.ts', '--noEmit', '--strict'];
    const options = ['--module', 'nodenext', '--target', 'es2022', '--lib', 'es2023,dom'];
    const types = ['--types', 'node', '--typeRoots', join(ROOT, 'node_modules/@types')];
    await expect(run(process.execPath, [...tsc, ...options, ...types], { cwd: dir })).resolves.toBeDefined();
  });

  it('runs the CommonJS example of the docs', async () => {
    const dir = await projectWithClient('commonjs');
    writeFileSync(join(dir, 'example.js'), docsBlock('js'));
    const { stdout, stderr } = await run(process.execPath, ['example.js'], { cwd: dir, env: env() });
    expect({ stdout, stderr }).toEqual({
      stdout: expect.stringMatching(/^mock-\w+: Summarise this report: \.\.\.\n$/),
      stderr: '',
    });
  });
});
