import { readFileSync } from 'node:fs';
import { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { join } from 'node:path';

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
  /** A streamed answer (`text/event-stream`) instead of `body`. */
  stream?: StubStream;
}

/** A streamed answer: server-sent events written one at a time, as a provider writes them. */
export interface StubStream {
  /** Each event as it goes on the wire, blank line included (`event: x\ndata: {...}\n\n`). */
  events: string[];
  /** Wait this long before each event. */
  delayMs?: number;
  /** Write this many events, then cut the connection, as a provider or a network failing midway would. */
  cutAfter?: number;
  /** Write the events as slices of this many bytes instead (a slice may end inside an event or a character). */
  bytesPerWrite?: number;
}

/** How a provider stub may alter the stream it would send: slower, cut midway, or without its end marker. */
export interface StreamShape {
  delayMs?: number;
  cutAfter?: number;
  /** Leave out what tells the client the answer is whole (`[DONE]`, `message_stop`, the finishReason). */
  withoutEnd?: boolean;
}

/** A recorded stream under test/fixtures (`openai/stream-chat-completion.txt`), split into its events. */
export function recordedEvents(fixture: string): string[] {
  const text = readFileSync(join(__dirname, '../../fixtures', fixture), 'utf8');
  return text.split(/(?<=\r?\n\r?\n)/).filter((event) => event.trim() !== '');
}

/** `text` in pieces of a few characters, as a model streams it. */
export function textPieces(text: string, size = 8): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}

/** The events as a StubReply, shaped (`withoutEnd` is the provider stub's to apply). */
export function streamReply(events: string[], shape: StreamShape = {}): StubReply {
  return { stream: { events, delayMs: shape.delayMs, cutAfter: shape.cutAfter } };
}

export type StubHandler = (request: RecordedRequest) => StubReply | Promise<StubReply>;

/**
 * A real HTTP server on loopback standing in for a provider's API at the network edge. Each provider's
 * stub module supplies the wire format; tests script replies with `reply()`/`replyOnce()`. A streamed
 * reply is written event by event; a client that closes it before its end is counted in `closedEarly`,
 * which `untilClosedEarly()` waits for.
 */
export class StubServer {
  readonly requests: RecordedRequest[] = [];
  /** Streams the client closed before the stub had written them whole (it left, or aborted). */
  closedEarly = 0;
  private readonly once: StubHandler[] = [];
  private readonly closeWaiters: { count: number; resolve: () => void }[] = [];
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

  /** Resolves once `count` streams (counted since start) have been closed early by their client. */
  untilClosedEarly(count: number): Promise<void> {
    if (this.closedEarly >= count) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push({ count, resolve }));
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
    if (reply.stream) return this.write(reply.stream, reply, res);
    const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    res.end(payload);
  }

  private async write(stream: StubStream, reply: StubReply, res: ServerResponse): Promise<void> {
    let cut = false;
    res.on('close', () => {
      if (cut || res.writableFinished) return;
      this.closedEarly += 1;
      for (const waiter of this.closeWaiters.filter(({ count }) => this.closedEarly >= count)) {
        this.closeWaiters.splice(this.closeWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
    res.writeHead(reply.status ?? 200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      ...reply.headers,
    });
    for (const [index, event] of writesOf(stream).entries()) {
      if (index === stream.cutAfter) {
        cut = true;
        res.socket?.destroy();
        return;
      }
      if (stream.delayMs) await new Promise((resolve) => setTimeout(resolve, stream.delayMs).unref());
      if (res.destroyed) return;
      // Flushed before the next one, so a cut after N events cuts after N events that left.
      await new Promise<void>((resolve) => res.write(event, () => resolve()));
    }
    if (!res.destroyed) res.end();
  }
}

function writesOf(stream: StubStream): (string | Buffer)[] {
  const size = stream.bytesPerWrite;
  if (!size) return stream.events;
  const bytes = Buffer.from(stream.events.join(''));
  const slices: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += size) slices.push(bytes.subarray(start, start + size));
  return slices;
}
