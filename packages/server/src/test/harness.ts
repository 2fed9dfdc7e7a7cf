import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { buildApp } from '../app.js';
import { loadConfig, type AppConfig } from '../config.js';
import { openDatabase, type Db } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import type { App } from '../http/types.js';

/**
 * Test harness: a real app on a real database. SQLite by default (a fresh file per harness); when
 * TEST_DATABASE_URL points at PostgreSQL, each harness gets its own schema, dropped on close, so test files
 * run in parallel without seeing each other's rows.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? '';
export const IS_POSTGRES = /^postgres(ql)?:\/\//.test(TEST_DATABASE_URL);

export interface TestContext {
  app: App;
  database: Db;
  config: AppConfig;
  /** The database URL (for child processes that must share it, e.g. a worker started with `--role worker`). */
  databaseUrl: string;
  close(): Promise<void>;
}

export interface TestAccount {
  customerId: string;
  userId: string;
  email: string;
  password: string;
  cookie: string;
  csrfToken: string;
  /** Headers for a cookie-authenticated write (session cookie + CSRF token). */
  headers: Record<string, string>;
}

async function createPostgresSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

/** Builds a config as the tests want it; `env` overrides any setting. */
// Rate-limit counters live in Redis when a test uses it, and Redis outlives test runs: each test file gets
// its own key prefix, shared by every app and process it starts.
export const TEST_RATE_LIMIT_PREFIX = `fc-rl-test-${randomBytes(6).toString('hex')}:`;

export function createTestConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    FC_RATE_LIMIT_PREFIX: TEST_RATE_LIMIT_PREFIX,
    NODE_ENV: 'test',
    FC_SECRET_KEY: randomBytes(32).toString('hex'),
    FC_SCRYPT_LOG_N: '10',
    FC_SEED_DEMO: 'false',
    FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
    ...env,
  });
}

/** Opens a fresh, migrated test database (and returns how to drop it). */
export async function openTestDatabase(): Promise<{ database: Db; databaseUrl: string; dataDir: string; dispose: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'fc-test-'));
  let databaseUrl = `sqlite:${path.join(dataDir, 'test.db')}`;
  let drop = async (): Promise<void> => undefined;
  if (IS_POSTGRES) ({ url: databaseUrl, drop } = await createPostgresSchema());
  const config = createTestConfig({ DATABASE_URL: databaseUrl, FC_DATA_DIR: dataDir });
  const database = openDatabase(config.database);
  await migrateToLatest(database.db);
  return {
    database, databaseUrl, dataDir,
    dispose: async () => {
      await database.close();
      await drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A built app on a fresh database. */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestContext> {
  const { database, databaseUrl, dataDir, dispose } = await openTestDatabase();
  const config = createTestConfig({ DATABASE_URL: databaseUrl, FC_DATA_DIR: dataDir, ...env });
  const app = await buildApp({ config, database });
  await app.ready();
  return {
    app, database, config, databaseUrl,
    close: async () => {
      await app.close();
      await dispose();
    },
  };
}

/** Reads the session cookie a signup/login set. */
export function readSessionCookie(response: LightMyRequestResponse): string {
  const cookie = response.cookies.find((c) => c.name === 'fc_session');
  if (!cookie) throw new Error(`no session cookie in ${response.statusCode} ${response.body}`);
  return `fc_session=${cookie.value}`;
}

let accountCounter = 0;

/** Factory: signs a new customer up through the API and returns its credentials. */
export async function signUpAccount(app: App, overrides: { email?: string; company?: string } = {}): Promise<TestAccount> {
  accountCounter += 1;
  const email = overrides.email ?? `owner${accountCounter}-${randomBytes(4).toString('hex')}@example.com`;
  const password = 'correct horse battery';
  const response = await app.inject({ method: 'POST', url: '/api/portal/signup', payload: { email, password, company: overrides.company ?? `Company ${accountCounter}` } });
  if (response.statusCode !== 201) throw new Error(`signup failed: ${response.statusCode} ${response.body}`);
  const body = response.json<{ user: { id: string }; customer: { id: string }; csrfToken: string }>();
  const cookie = readSessionCookie(response);
  return {
    customerId: body.customer.id, userId: body.user.id, email, password, cookie, csrfToken: body.csrfToken,
    headers: { cookie, 'x-csrf-token': body.csrfToken },
  };
}

/** Factory: creates a chatbot for an account. */
/**
 * Every test request comes from one address (127.0.0.1), so a test chatbot's per-address limit is raised unless
 * the test sets its own `rateLimit` (the tests of the limits do).
 */
const TEST_RATE_LIMIT = { perVisitorPerMinute: 20, perIpPerMinute: 10_000 };

export async function createChatbotFor(app: App, account: TestAccount, body: Record<string, unknown> = { name: 'Test Bot' }): Promise<{ id: string; name: string }> {
  const settings = (body.settings ?? {}) as Record<string, unknown>;
  const payload = settings.rateLimit === undefined ? { ...body, settings: { ...settings, rateLimit: TEST_RATE_LIMIT } } : body;
  const response = await app.inject({ method: 'POST', url: '/api/portal/chatbots', headers: account.headers, payload });
  if (response.statusCode !== 201) throw new Error(`create chatbot failed: ${response.statusCode} ${response.body}`);
  return response.json();
}

/**
 * Factory: invites `email` into the owner's account as `role` and accepts the link (no SMTP: the link is answered to
 * the owner), returning the new member's credentials in that account.
 */
export async function addTeamMember(app: App, owner: TestAccount, options: { role?: 'owner' | 'agent'; email?: string; name?: string } = {}): Promise<TestAccount> {
  accountCounter += 1;
  const email = options.email ?? `agent${accountCounter}-${randomBytes(4).toString('hex')}@example.com`;
  const invited = await app.inject({ method: 'POST', url: '/api/portal/team/invites', headers: owner.headers, payload: { email, role: options.role ?? 'agent' } });
  if (invited.statusCode !== 201) throw new Error(`invite failed: ${invited.statusCode} ${invited.body}`);
  const token = new URLSearchParams(String(invited.json<{ acceptPath: string }>().acceptPath).split('#')[1]).get('token');
  const password = 'agent horse battery';
  const accepted = await app.inject({ method: 'POST', url: '/api/portal/invites/accept', payload: { token, password, ...(options.name ? { name: options.name } : {}) } });
  if (accepted.statusCode !== 200) throw new Error(`accept failed: ${accepted.statusCode} ${accepted.body}`);
  const body = accepted.json<{ user: { id: string }; customer: { id: string }; csrfToken: string }>();
  const cookie = readSessionCookie(accepted);
  return {
    customerId: body.customer.id, userId: body.user.id, email, password, cookie, csrfToken: body.csrfToken,
    headers: { cookie, 'x-csrf-token': body.csrfToken },
  };
}

/** A multipart/form-data body with one file (uploads through `app.inject`). */
export function multipartFile(fileName: string, bytes: Buffer | string, options: { contentType?: string; field?: string } = {}): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----fc-test-${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${options.field ?? 'file'}"; filename="${fileName}"\r\nContent-Type: ${options.contentType ?? 'application/octet-stream'}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { payload: Buffer.concat([head, Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), tail]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
