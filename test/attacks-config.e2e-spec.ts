import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UNREACHABLE_REDIS } from '@breakwater/testing';
import { freePort } from './helpers/free-port';
import { startProcess } from './helpers/process';

/** Finding 9: a misspelt field used to be dropped in silence, and the LLM judge's answers were cached. */
const JUDGE_WITH_A_TYPO = `
callers:
  - id: llm-judge
    key: judge-key-0000-0000-0001
    cache:
      enable: false
`;

function write(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'bw-attack-config-')), name);
  writeFileSync(path, text);
  return path;
}

/** Starts the built app, waits for it to end, and returns its exit code and what it wrote to stderr. */
async function refusedStart(
  app: 'gateway' | 'worker',
  env: Record<string, string>,
): Promise<{ code: number | NodeJS.Signals | null; stderr: string; output: string }> {
  const port = String(await freePort());
  const started = startProcess(app, { PORT: port, WORKER_PORT: port, REDIS_URL: UNREACHABLE_REDIS, ...env });
  let stderr = '';
  started.child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    started.exited,
    new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), 15_000))),
  ]);
  clearTimeout(timer);
  if (code === 'still running') {
    await started.stop('SIGKILL');
    throw new Error(`the ${app} started:\n${started.output()}`);
  }
  return { code, stderr, output: started.output() };
}

describe('attack: silent misconfiguration', () => {
  it.each(['gateway', 'worker'] as const)(
    'the %s exits 1 on `cache: {enable: false}`, naming the path and `enabled` on stderr',
    async (app) => {
      const file = write('callers.yaml', JUDGE_WITH_A_TYPO);
      const { code, stderr, output } = await refusedStart(app, { CALLERS_FILE: file });
      expect(code).toBe(1);
      expect(stderr).toContain(`CALLERS_FILE ${file}: callers[0].cache.enable is not a known field`);
      expect(stderr).toContain('did you mean `enabled`?');
      expect(output).not.toMatch(/\n\s+at /);
      expect(output).not.toContain('judge-key-0000-0000-0001');
    },
  );

  it('exits 1 on a price given as a string in PRICING_FILE', async () => {
    const file = write('pricing.yaml', 'models:\n  openai/gpt-4o: { input: "2.5", output: 10 }\n');
    const { code, stderr } = await refusedStart('gateway', { PRICING_FILE: file });
    expect(code).toBe(1);
    expect(stderr).toContain('models["openai/gpt-4o"].input must be a number, not the string "2.5"');
  });

  it('exits 1 in production with the keys of callers.example.yaml, naming the caller', async () => {
    const file = write('callers.yaml', readFileSync('callers.example.yaml', 'utf8'));
    const { code, stderr, output } = await refusedStart('gateway', {
      NODE_ENV: 'production',
      CALLERS_FILE: file,
    });
    expect(code).toBe(1);
    expect(stderr).toContain("callers[0] (admin) uses a key published in Breakwater's examples");
    expect(stderr).toContain('replace it');
    expect(output).not.toMatch(/change-me/);
  });
});
