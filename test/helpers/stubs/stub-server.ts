import { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse, createServer } from 'node:http';

/** One request as it reached the stub: what a test asserts on (model name, key, no gateway key). */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface StubReply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Wait this long before answering (for timeout tests). */
  delayMs?: number;
}

export type StubHandler = (request: RecordedRequest) => StubReply | Promise<StubReply>;

/**
 * A real HTTP server on loopback standing in for a provider's API at the network edge. Each provider's
 * stub module supplies the wire format; tests script replies with `reply()`/`replyOnce()`.
 */
export class StubServer {
  readonly requests: RecordedRequest[] = [];
  private readonly once: StubHandler[] = [];
  private server?: Server;

  constructor(private handler: StubHandler) {}

  get url(): string {
    const address = this.server?.address();
    if (!address || typeof address !== 'object') throw new Error('stub not started');
    return `http://127.0.0.1:${address.port}`;
  }

  /** Replace the standing handler. */
  reply(handler: StubHandler): void {
    this.handler = handler;
  }

  /** Answer the next request with this, then go back to the standing handler. */
  replyOnce(handler: StubHandler): void {
    this.once.push(handler);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
    };
    this.requests.push(recorded);
    const reply = await (this.once.shift() ?? this.handler)(recorded);
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (res.destroyed) return;
    const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    res.end(payload);
  }
}
