import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';

/** One export as a collector receives it. */
export interface OtlpExport {
  path: string;
  contentType: string;
  body: Buffer;
}

/** A span of an OTLP/JSON export, with its service (the exporting process's `service.name`). */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  status: number;
  startNanos: bigint;
  attributes: Record<string, string | number | boolean>;
}

interface JsonValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface JsonAttribute {
  key: string;
  value: JsonValue;
}
interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  attributes?: JsonAttribute[];
  status?: { code?: number };
}
interface JsonExport {
  resourceSpans?: {
    resource?: { attributes?: JsonAttribute[] };
    scopeSpans?: { spans?: JsonSpan[] }[];
  }[];
}

function valueOf(value: JsonValue): string | number | boolean {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return value.boolValue ?? '';
}

function attributesOf(list: JsonAttribute[] = []): Record<string, string | number | boolean> {
  return Object.fromEntries(list.map((attribute) => [attribute.key, valueOf(attribute.value)]));
}

/**
 * An OTLP/HTTP collector on loopback that keeps every export as received, and decodes OTLP/JSON ones
 * (the encoding the OpenTelemetry specification defines: hex ids, attributes as typed values).
 */
export class OtlpReceiver {
  readonly exports: OtlpExport[] = [];
  private server?: Server;

  get url(): string {
    const { port } = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const contentType = request.headers['content-type'] ?? '';
        this.exports.push({ path: request.url ?? '', contentType, body: Buffer.concat(chunks) });
        const json = contentType.startsWith('application/json');
        response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
        response.end(json ? '{}' : undefined);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** Every span of every OTLP/JSON export so far. */
  spans(): ReceivedSpan[] {
    return this.exports
      .filter((received) => received.contentType.startsWith('application/json'))
      .flatMap((received) => {
        const parsed = JSON.parse(received.body.toString()) as JsonExport;
        return (parsed.resourceSpans ?? []).flatMap((resourceSpans) => {
          const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name']);
          return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
            (scope.spans ?? []).map((span): ReceivedSpan => ({
              service,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId || undefined,
              name: span.name,
              kind: span.kind,
              status: span.status?.code ?? 0,
              startNanos: BigInt(span.startTimeUnixNano),
              attributes: attributesOf(span.attributes),
            })),
          );
        });
      });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/**
 * The spans of one trace as an indented tree (parents before children, siblings by start time), each
 * line `name [kind, service]`; a span whose parent was not received hangs under that parent's id.
 */
export function traceTree(spans: ReceivedSpan[]): string {
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map<string, ReceivedSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : 'root';
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (parent: string, depth: number): void => {
    const sorted = [...(children.get(parent) ?? [])].sort((a, b) => (a.startNanos < b.startNanos ? -1 : 1));
    for (const span of sorted) {
      const from = depth === 0 && span.parentSpanId ? ` (parent ${span.parentSpanId}, not exported)` : '';
      const failed = span.status === 2 ? ', error' : '';
      lines.push(
        `${'  '.repeat(depth)}${span.name} [${KIND_NAMES[span.kind]}, ${span.service}${failed}] ${span.spanId}${from}`,
      );
      walk(span.spanId, depth + 1);
    }
  };
  walk('root', 0);
  return lines.join('\n');
}
