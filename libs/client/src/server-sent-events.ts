/** One server-sent event: its `event:` name (`message` when none) and its `data:` lines joined by `\n`. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/** The most one event may hold; a longer one is not something the gateway sends. */
export const MAX_EVENT_CHARS = 256 * 1024;

/**
 * The events of a `text/event-stream` body, as the HTML living standard parses them (lines ending in
 * CR, LF or CRLF; `:` comments ignored; an event dispatched at a blank line), with no dependency: the
 * client requires nothing at run time. Only `event` and `data` are read; the gateway sends no `id` or
 * `retry`. Throws when one event outgrows MAX_EVENT_CHARS.
 */
export async function* serverSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (;;) {
        const end = /\r\n|\r|\n/.exec(buffer);
        if (!end) break;
        // A CR at the end of what arrived may be the first half of a CRLF: the next chunk decides.
        if (end[0] === '\r' && end.index === buffer.length - 1 && !done) break;
        const line = buffer.slice(0, end.index);
        buffer = buffer.slice(end.index + end[0].length);
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
          size = 0;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let text = colon === -1 ? '' : line.slice(colon + 1);
        if (text.startsWith(' ')) text = text.slice(1);
        size += text.length;
        if (size > MAX_EVENT_CHARS)
          throw new RangeError(`a server-sent event is longer than ${MAX_EVENT_CHARS} characters`);
        if (field === 'event') event = text;
        else if (field === 'data') data.push(text);
      }
      if (buffer.length > MAX_EVENT_CHARS)
        throw new RangeError(`a server-sent event line is longer than ${MAX_EVENT_CHARS} characters`);
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
