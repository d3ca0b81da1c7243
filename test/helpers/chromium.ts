import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'undici';

/** Debian's chromium, as .ci/run installs it. */
export const CHROMIUM = '/usr/bin/chromium';

export const chromiumInstalled = (): boolean => existsSync(CHROMIUM);

interface CdpReply {
  id?: number;
  method?: string;
  params?: { type?: string; response?: { url: string; status: number } };
  result?: Record<string, unknown>;
  error?: { message: string };
}

/**
 * One headless Chromium page driven over the DevTools protocol. Headers are set with
 * Network.setExtraHTTPHeaders, so every request of the page (its scripts, styles and API calls, not
 * only the navigation) carries them: credentials in the URL only cover the navigation reliably.
 */
export class HeadlessPage {
  /** The status of every document the page loaded, in order. */
  readonly documents: { url: string; status: number }[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, (reply: CdpReply) => void>();

  private constructor(
    private readonly browser: ChildProcess,
    private readonly socket: WebSocket,
    private readonly profile: string,
  ) {
    socket.addEventListener('message', (event) => {
      const reply = JSON.parse(String(event.data)) as CdpReply;
      if (reply.id !== undefined) this.pending.get(reply.id)?.(reply);
      const { type, response } = reply.params ?? {};
      if (reply.method === 'Network.responseReceived' && type === 'Document' && response) {
        this.documents.push({ url: response.url, status: response.status });
      }
    });
  }

  static async open(): Promise<HeadlessPage> {
    const profile = mkdtempSync(join(tmpdir(), 'bw-chromium-'));
    const browser = spawn(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        '--remote-debugging-port=0',
        'about:blank',
      ],
      // Its own process group, so closing ends its renderer and helper processes too.
      { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
    );
    const browserUrl = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`chromium did not start: ${output}`)), 30_000);
      browser.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /DevTools listening on (ws:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      browser.once('error', reject);
    });
    const { host } = new URL(browserUrl);
    const targets = (await (await fetch(`http://${host}/json/list`)).json()) as {
      type: string;
      webSocketDebuggerUrl: string;
    }[];
    const target = targets.find((candidate) => candidate.type === 'page');
    if (!target) throw new Error('chromium has no page to drive');
    const socket = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      socket.addEventListener('open', resolve, { once: true });
      socket.addEventListener('error', reject, { once: true });
    });
    return new HeadlessPage(browser, socket, profile);
  }

  async send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const reply = await new Promise<CdpReply>((resolve) => {
      this.pending.set(id, resolve);
      this.socket.send(JSON.stringify({ id, method, params }));
    });
    this.pending.delete(id);
    if (reply.error) throw new Error(`${method}: ${reply.error.message}`);
    return reply.result ?? {};
  }

  /** Opens `url` with `headers` on every request of the page. */
  async navigate(url: string, headers: Record<string, string>): Promise<void> {
    await this.send('Network.enable');
    await this.send('Network.setExtraHTTPHeaders', { headers });
    await this.send('Page.navigate', { url });
  }

  /** The page's visible text. */
  async text(): Promise<string> {
    const { result } = (await this.send('Runtime.evaluate', {
      expression: 'document.body ? document.body.innerText : ""',
      returnByValue: true,
    })) as { result?: { value?: unknown } };
    return typeof result?.value === 'string' ? result.value : '';
  }

  /** The visible text once `done` holds of it, or as it is after `timeoutMs`. */
  async textWhen(done: (text: string) => boolean, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let text = await this.text();
    while (!done(text) && Date.now() < deadline) {
      await sleep(100);
      text = await this.text();
    }
    return text;
  }

  async close(): Promise<void> {
    this.socket.close();
    const exited = new Promise((resolve) => this.browser.once('exit', resolve));
    if (this.browser.pid) process.kill(-this.browser.pid, 'SIGKILL');
    await exited;
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}
