import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from './http-load.js';

/** The bench's load generator: bounded, local only, and it varies requests as asked. (No timing assertions.) */
describe('bench load generator', () => {
  let server: Server;
  let url: string;
  const visitors = new Set<string>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        const parsed = JSON.parse(body) as { visitorId: string };
        visitors.add(`${parsed.visitorId}@${req.headers['x-forwarded-for']}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses any target but 127.0.0.1 and runs longer than 20 s', async () => {
    await expect(runLoad({ url: 'http://example.com/', method: 'GET', durationSeconds: 1 })).rejects.toThrow(/127\.0\.0\.1/);
    await expect(runLoad({ url: 'http://localhost:9/', method: 'GET', durationSeconds: 1 })).rejects.toThrow(/127\.0\.0\.1/);
    await expect(runLoad({ url, method: 'GET', durationSeconds: 60 })).rejects.toThrow(/20 s/);
  });

  it('sends a different body and headers with every request', async () => {
    const stats = await runLoad({
      url, method: 'POST', durationSeconds: 1, connections: 2, headers: { 'content-type': 'application/json' },
      buildRequest: (sequence) => ({ body: JSON.stringify({ visitorId: `v-${sequence}` }), headers: { 'x-forwarded-for': `10.0.0.${sequence % 256}` } }),
    });
    expect(stats.succeeded).toBeGreaterThan(0);
    expect(stats.non2xx + stats.errors).toBe(0);
    expect(visitors.size).toBeGreaterThanOrEqual(stats.succeeded);
  });
});
