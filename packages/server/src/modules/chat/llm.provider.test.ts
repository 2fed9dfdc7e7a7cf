import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLlmProvider } from './llm.provider.js';

/** Serves one raw event stream per path, written in small pieces. */
function startStreamServer(streams: Record<string, string>): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const wire = streams[req.url ?? ''] ?? '';
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let at = 0;
      const next = (): void => {
        if (at >= wire.length) {
          res.end();
          return;
        }
        res.write(wire.slice(at, at + 9));
        at += 9;
        setImmediate(next);
      };
      next();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('the provider transport’s event-stream reading', () => {
  let server: Server;
  const provider = createLlmProvider({ allowPrivate: true });
  const streams: Record<string, string> = {
    // One event's JSON split over two `data:` lines, CRLF line ends, a comment, an id and usage in the last chunk.
    '/multi/chat/completions': [
      ': keep-alive\r\n\r\n',
      'id: 1\r\ndata: {"choices":\r\ndata: [{"delta":{"content":"Hello"}}]}\r\n\r\n',
      'data: {"choices":[{"delta":{"content":", world"}}]}\r\n\r\n',
      'data: {"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3}}\r\n\r\n',
      'data: [DONE]\r\n\r\n',
    ].join(''),
    // No [DONE] and no blank line after the last event: the end of the body ends it.
    '/unterminated/chat/completions': 'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\ndata: {"choices":[{"delta":{"content":" there"}}]}',
    '/error/chat/completions': 'data: {"error":{"message":"overloaded"}}\n\n',
  };

  beforeAll(async () => {
    server = await startStreamServer(streams);
  });
  afterAll(async () => {
    await provider.close();
    await new Promise((resolve) => server.close(resolve));
  });

  const stream = async (path: string) => {
    const pieces: string[] = [];
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${path}`;
    const result = await provider.complete({ baseUrl, apiKey: null, body: { model: 'm', messages: [] }, onText: (text) => pieces.push(text) });
    return { pieces, result };
  };

  it('joins multi-line data, reads CRLF streams and takes usage from the last chunk', async () => {
    const { pieces, result } = await stream('multi');
    expect(pieces).toEqual(['Hello', ', world']);
    expect(result).toEqual({ content: 'Hello, world', toolArguments: null, usage: { promptTokens: 12, completionTokens: 3 } });
  });

  it('keeps a last event the body ended without a blank line', async () => {
    expect((await stream('unterminated')).result.content).toBe('Hi there');
  });

  it('fails on an error event in the stream', async () => {
    await expect(stream('error')).rejects.toThrow(/error in the stream/);
  });
});
