import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { App } from '../http/types.js';
import { createChatbotFor, createTestConfig, openTestDatabase, signUpAccount } from './harness.js';

/**
 * Scale-out rate limiting (contract section 2): counters shared through Redis across API processes, and a
 * per-process fallback while Redis is unreachable that recovers on its own. Needs a Redis server:
 * TEST_REDIS_URL (CI sets it; locally `TEST_REDIS_URL=redis://127.0.0.1:6379`).
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? '';

/** A TCP proxy in front of Redis that the test can cut and restore, as a network partition would. */
async function startCuttableProxy(target: URL): Promise<{ port: number; cut(): void; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let isUp = true;
  const server: Server = createServer((client) => {
    if (!isUp) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      isUp = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      isUp = true;
    },
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

describe.skipIf(!REDIS_URL)('rate limits across processes with Redis', () => {
  let close: () => Promise<void>;
  let apps: App[];
  let redisClients: Redis[];
  let proxy: Awaited<ReturnType<typeof startCuttableProxy>>;
  let chatbotId: string;

  beforeAll(async () => {
    const { database, databaseUrl, dataDir, dispose } = await openTestDatabase();
    proxy = await startCuttableProxy(new URL(REDIS_URL));
    const config = createTestConfig({ DATABASE_URL: databaseUrl, FC_DATA_DIR: dataDir, REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    // Two "API processes": separate apps, separate Redis connections, one database and one Redis.
    redisClients = [0, 1].map(() => {
      const client = new Redis(`redis://127.0.0.1:${proxy.port}`, { connectTimeout: 500, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 100 });
      client.on('error', () => undefined);
      return client;
    });
    apps = await Promise.all(redisClients.map((redis) => buildApp({ config, database, redis })));
    await Promise.all(redisClients.map((client) => new Promise<void>((resolve) => (client.status === 'ready' ? resolve() : client.once('ready', () => resolve())))));
    const account = await signUpAccount(apps[0]!);
    chatbotId = (await createChatbotFor(apps[0]!, account, { name: 'Limited', settings: { rateLimit: { perVisitorPerMinute: 3, perIpPerMinute: 1_000 } } })).id;
    close = async () => {
      await Promise.all(apps.map((app) => app.close()));
      for (const client of redisClients) client.disconnect();
      await proxy.close();
      await dispose();
    };
  });
  afterAll(async () => {
    await close?.();
  });

  const chat = (app: App, visitorId: string) => app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId, message: 'hello' } });

  it('counts one visitor across both processes', async () => {
    const statuses = [];
    for (const app of [apps[0]!, apps[1]!, apps[0]!, apps[1]!]) statuses.push((await chat(app, 'shared-visitor')).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await chat(apps[0]!, 'shared-visitor');
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.headers['ratelimit-limit']).toBe('3');
  });

  it('counts one address across both processes however many visitor ids it rotates', async () => {
    const perAddress = (await createChatbotFor(apps[0]!, await signUpAccount(apps[1]!), { name: 'Per address', settings: { rateLimit: { perVisitorPerMinute: 100, perIpPerMinute: 3 } } })).id;
    const send = (app: App, visitorId: string) => app.inject({ method: 'POST', url: '/api/public/system-chat', remoteAddress: '198.51.100.20', payload: { chatbotId: perAddress, visitorId, message: 'hello' } });
    const statuses = [];
    for (const [i, app] of [apps[0]!, apps[1]!, apps[0]!, apps[1]!].entries()) statuses.push((await send(app, `rotating-${i}`)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('keeps chatting and limiting per process while Redis is cut off, then shares counters again', async () => {
    proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const during = [];
    for (let i = 0; i < 4; i += 1) during.push((await chat(apps[0]!, 'partitioned-visitor')).statusCode);
    expect(during).toEqual([200, 200, 200, 429]);

    proxy.restore();
    await Promise.all(redisClients.map((client) => new Promise<void>((resolve) => (client.status === 'ready' ? resolve() : client.once('ready', () => resolve())))));
    const after = [];
    for (const app of [apps[1]!, apps[0]!, apps[1]!, apps[0]!]) after.push((await chat(app, 'recovered-visitor')).statusCode);
    expect(after).toEqual([200, 200, 200, 429]);
  });
});
