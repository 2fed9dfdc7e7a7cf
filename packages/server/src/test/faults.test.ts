import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { startAppProcess, type AppProcess } from './app-process.js';
import { createChatbotFor, createTestConfig, IS_POSTGRES, openTestDatabase, signUpAccount } from './harness.js';

/**
 * Faults, on loopback only and bounded in time: an API process SIGKILLed under chat load, and PostgreSQL
 * restarted under a running app. Nothing a client was told had been accepted may be lost.
 */

interface ChatOutcome {
  target: 'a' | 'b';
  ok: boolean;
  status: number | null;
  conversationId?: string;
  messageId?: string;
}

async function postChat(baseUrl: string, chatbotId: string, visitorId: string): Promise<{ status: number; body: { conversationId?: string; message?: { id: string } } }> {
  const response = await fetch(`${baseUrl}/api/public/system-chat`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chatbotId, visitorId, message: 'Do you fix leaking pipes?' }),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, body: await response.json() as { conversationId?: string; message?: { id: string } } };
}

describe('an API process killed under chat load', () => {
  let processes: AppProcess[] = [];
  let dispose: () => Promise<void>;
  let env: Record<string, string>;
  let chatbotId: string;
  let db: Awaited<ReturnType<typeof openTestDatabase>>['database'];

  beforeAll(async () => {
    const scratch = await openTestDatabase();
    db = scratch.database;
    const config = createTestConfig({ DATABASE_URL: scratch.databaseUrl, FC_DATA_DIR: scratch.dataDir });
    const seeder = await buildApp({ config, database: scratch.database });
    const account = await signUpAccount(seeder);
    chatbotId = (await createChatbotFor(seeder, account, { name: 'Load bot', settings: { rateLimit: { perVisitorPerMinute: 1_000, perIpPerMinute: 10_000 } } })).id;
    await seeder.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbotId}/knowledge`, headers: account.headers, payload: { kind: 'faq', question: 'Do you fix leaking pipes?', answer: 'Yes, same day.' } });
    await seeder.close();
    env = { DATABASE_URL: scratch.databaseUrl, FC_DATA_DIR: scratch.dataDir, FC_SECRET_KEY: config.secretKey.toString('hex'), FC_DELIVERY_WORKER: 'off' };
    processes = await Promise.all([startAppProcess('api', env), startAppProcess('api', env)]);
    dispose = scratch.dispose;
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await dispose();
  });

  it('loses no accepted message or event, and only in-flight requests to the killed process fail', async () => {
    const [a, b] = processes as [AppProcess, AppProcess];
    const outcomes: ChatOutcome[] = [];
    let killed = false;
    let sent = 0;
    const TOTAL = 160;
    const CONCURRENCY = 8;
    const send = async (): Promise<void> => {
      while (sent < TOTAL) {
        const n = sent;
        sent += 1;
        // A load balancer spreads requests over both processes, and stops sending to one that died.
        const target = !killed && n % 2 === 0 ? 'a' : 'b';
        try {
          const response = await postChat(target === 'a' ? a.baseUrl : b.baseUrl, chatbotId, `load-${n}`);
          outcomes.push({ target, ok: response.status === 200, status: response.status, conversationId: response.body.conversationId, messageId: response.body.message?.id });
        } catch {
          outcomes.push({ target, ok: false, status: null });
        }
        if (n === 60 && !killed) {
          killed = true;
          await a.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, send));

    const failures = outcomes.filter((o) => !o.ok);
    // Only requests that were in flight on the killed process can fail: never more than the concurrency.
    expect(failures.every((f) => f.target === 'a' && f.status === null)).toBe(true);
    expect(failures.length).toBeLessThanOrEqual(CONCURRENCY);
    const accepted = outcomes.filter((o) => o.ok);
    expect(accepted.length).toBeGreaterThanOrEqual(TOTAL - CONCURRENCY);

    // Every reply a client received is stored, with its conversation.started event in the outbox.
    const messageIds = accepted.map((o) => o.messageId as string);
    const stored = await db.db.selectFrom('messages').select('id').where('id', 'in', messageIds).execute();
    expect(stored).toHaveLength(messageIds.length);
    const conversationIds = accepted.map((o) => o.conversationId as string);
    const started = await db.db.selectFrom('events').select('conversation_id').where('type', '=', 'conversation.started').where('conversation_id', 'in', conversationIds).execute();
    expect(new Set(started.map((e) => e.conversation_id)).size).toBe(conversationIds.length);
    // The survivor still serves.
    expect((await postChat(b.baseUrl, chatbotId, 'after-kill')).status).toBe(200);
  });
});

const PG_BIN = existsSync('/usr/lib/postgresql') ? path.join('/usr/lib/postgresql', readdirSync('/usr/lib/postgresql').sort().at(-1) ?? '', 'bin') : '';
const CAN_RUN_PRIVATE_POSTGRES = IS_POSTGRES && PG_BIN !== '' && existsSync(path.join(PG_BIN, 'pg_ctl')) && process.getuid?.() === 0;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs as the postgres user: PostgreSQL refuses to run as root. */
function asPostgres(command: string, args: string[]): void {
  execFileSync('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, command), ...args], { stdio: 'ignore', timeout: 60_000 });
}

// A private PostgreSQL instance (initdb in a temp folder, its own port) so restarting it disturbs nothing else.
describe.skipIf(!CAN_RUN_PRIVATE_POSTGRES)('PostgreSQL restarted under a running app', () => {
  let dataDir: string;
  let port: number;
  const pgCtl = (...args: string[]): void => asPostgres('pg_ctl', ['-D', path.join(dataDir, 'pg'), '-w', '-t', '30', ...args]);

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'fc-pg-fault-'));
    chmodSync(dataDir, 0o755);
    chownSync(dataDir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), Number(execFileSync('id', ['-g', 'postgres']).toString().trim()));
    port = await freePort();
    asPostgres('initdb', ['-D', path.join(dataDir, 'pg'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
    pgCtl('-o', `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', path.join(dataDir, 'pg.log'), 'start');
  });
  afterAll(() => {
    try {
      pgCtl('-m', 'immediate', 'stop');
    } catch {
      // already stopped
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 while the database is down, recovers on its own, and keeps what it accepted', async () => {
    const databaseUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const config = createTestConfig({ DATABASE_URL: databaseUrl, FC_DATA_DIR: dataDir });
    const database = openDatabase(config.database);
    await migrateToLatest(database.db);
    const app = await buildApp({ config, database });
    try {
      const account = await signUpAccount(app);
      const chatbotId = (await createChatbotFor(app, account, { name: 'Restart bot', settings: { rateLimit: { perVisitorPerMinute: 1_000, perIpPerMinute: 10_000 } } })).id;
      const chat = (visitorId: string) => app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId, message: 'hello' } });
      const acceptedBefore = [];
      for (let i = 0; i < 5; i += 1) acceptedBefore.push((await chat(`before-${i}`)).json<{ message: { id: string } }>().message.id);

      pgCtl('-m', 'fast', 'stop');
      const during = await chat('during');
      expect(during.statusCode).toBe(503);
      expect(during.headers['content-type']).toContain('application/problem+json');
      expect(during.headers['retry-after']).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const health = await app.inject({ method: 'GET', url: '/api/health' });
      expect(health.statusCode).toBe(503);
      expect(health.json()).toMatchObject({ status: 'degraded', checks: { database: 'error' } });

      pgCtl('-o', `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', path.join(dataDir, 'pg.log'), 'start');
      let healthy = 0;
      for (let i = 0; i < 40 && healthy !== 200; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        healthy = (await app.inject({ method: 'GET', url: '/api/health' })).statusCode;
      }
      expect(healthy).toBe(200);
      const after = await chat('after');
      expect(after.statusCode).toBe(200);
      const stored = await database.db.selectFrom('messages').select('id').where('id', 'in', acceptedBefore).execute();
      expect(stored).toHaveLength(acceptedBefore.length);
    } finally {
      await app.close();
      await database.close();
    }
  });
});
