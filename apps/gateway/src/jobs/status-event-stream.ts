import { ServerResponse } from 'node:http';
import { JobStatusBody } from '@breakwater/contracts';
import { STATUS_STREAM_HEARTBEAT_MS, STATUS_STREAM_MAX_MS } from './status-streams';

const TERMINAL = new Set<JobStatusBody['status']>(['completed', 'failed', 'expired']);

/** What a stream needs of the job's world: a fresh status read, and whether the job is still there. */
export type StatusRead = () => Promise<JobStatusBody | undefined>;

/**
 * One `text/event-stream` of a job's status: `event: status` with the status body now and each time a
 * read after a change differs from the last sent, ending after a terminal status (or when the job is gone,
 * the client leaves, or STATUS_STREAM_MAX_MS passes). Reads never overlap: a change during a read asks
 * for one more read after it. A queued job's expiry is a change no event announces, so it has its own timer.
 */
export class StatusEventStream {
  private last = '';
  private reading = false;
  private again = false;
  private ended = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private expiryTimer?: NodeJS.Timeout;

  constructor(
    private readonly raw: ServerResponse,
    private readonly read: StatusRead,
    private readonly onEnd: () => void,
  ) {}

  /** Sends the first status; from here on changed() drives it. */
  start(first: JobStatusBody): void {
    this.raw.on('close', () => this.end());
    this.timers.push(
      setInterval(() => this.raw.write(': keepalive\n\n'), STATUS_STREAM_HEARTBEAT_MS).unref(),
      setTimeout(() => this.end(), STATUS_STREAM_MAX_MS).unref(),
    );
    this.send(first);
  }

  /** The job may have changed: read it again (once more if a read is under way). */
  changed(): void {
    if (this.ended) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    void this.readAndSend().finally(() => {
      this.reading = false;
      if (this.again && !this.ended) {
        this.again = false;
        this.changed();
      }
    });
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const timer of this.timers) clearTimeout(timer);
    clearTimeout(this.expiryTimer);
    if (!this.raw.writableEnded) this.raw.end();
    this.onEnd();
  }

  private async readAndSend(): Promise<void> {
    let status: JobStatusBody | undefined;
    try {
      status = await this.read();
    } catch {
      // The store cannot answer now (Redis away): the next change or the expiry timer reads again.
      return;
    }
    if (!status) return this.end();
    this.send(status);
  }

  private send(status: JobStatusBody): void {
    if (this.ended) return;
    const data = JSON.stringify(status);
    if (data !== this.last) {
      this.last = data;
      this.raw.write(`event: status\ndata: ${data}\n\n`);
    }
    if (TERMINAL.has(status.status)) return this.end();
    this.watchExpiry(status);
  }

  private watchExpiry(status: JobStatusBody): void {
    clearTimeout(this.expiryTimer);
    if (status.status !== 'queued') return;
    const due = Date.parse(status.expires_at) - Date.now();
    if (due > STATUS_STREAM_MAX_MS) return;
    this.expiryTimer = setTimeout(() => this.changed(), Math.max(0, due) + 10).unref();
  }
}
