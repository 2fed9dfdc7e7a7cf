import { describe, expect, it } from 'vitest';
import { createSseParser } from './sse-parser.js';

describe('createSseParser', () => {
  it('parses named events split across arbitrary chunk boundaries', () => {
    const stream = 'retry: 3000\n\nevent: delta\ndata: {"text":"Hel"}\n\nevent: delta\ndata: {"text":"lo"}\n\n: heartbeat\n\nid: msg_1\nevent: done\ndata: {"ok":true}\n\n';
    for (const size of [1, 2, 7, stream.length]) {
      const parse = createSseParser();
      const events = [];
      for (let i = 0; i < stream.length; i += size) events.push(...parse(stream.slice(i, i + size)));
      expect(events).toEqual([
        { event: 'delta', data: '{"text":"Hel"}', id: null },
        { event: 'delta', data: '{"text":"lo"}', id: null },
        { event: 'done', data: '{"ok":true}', id: 'msg_1' },
      ]);
    }
  });

  it('handles CRLF line endings split between chunks, multi-line data and unnamed events', () => {
    const parse = createSseParser();
    expect(parse('data: one\r')).toEqual([]);
    expect(parse('\ndata: two\r\n\r\n')).toEqual([{ event: 'message', data: 'one\ntwo', id: null }]);
    expect(parse('data:no-space\n\n')).toEqual([{ event: 'message', data: 'no-space', id: null }]);
  });
});
