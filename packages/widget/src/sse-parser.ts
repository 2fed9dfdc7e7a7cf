/** One Server-Sent Event: its type (`message` when unnamed), data and id. */
export interface SseEvent {
  event: string;
  data: string;
  id: string | null;
}

/**
 * Incremental Server-Sent Events parser (the WHATWG event-stream format): feed it text as it arrives,
 * get back the events completed so far. Used for both the streamed chat reply and the live-update stream,
 * because EventSource cannot send the conversation token in a header.
 */
export function createSseParser(): (chunk: string) => SseEvent[] {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | null = null;
  return (chunk) => {
    buffer += chunk;
    const events: SseEvent[] = [];
    for (;;) {
      const end = buffer.search(/[\r\n]/);
      // A trailing CR may be the first half of a CRLF split across chunks: wait for the next chunk.
      if (end < 0 || (end === buffer.length - 1 && buffer[end] === '\r')) break;
      const line = buffer.slice(0, end);
      buffer = buffer.slice(buffer.startsWith('\r\n', end) ? end + 2 : end + 1);
      if (line === '') {
        if (data.length > 0) events.push({ event: event || 'message', data: data.join('\n'), id });
        event = '';
        data = [];
        id = null;
        continue;
      }
      if (line[0] === ':') continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(line[colon + 1] === ' ' ? colon + 2 : colon + 1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
    return events;
  };
}
