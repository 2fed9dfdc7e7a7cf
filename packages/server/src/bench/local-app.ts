import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { syncKnowledgeEmbeddings, type EmbeddingSyncResult } from '../modules/chat/knowledge-embeddings.js';
import { createLlmProvider, type LlmProvider } from '../modules/chat/llm.provider.js';
import { createCrawlWorker } from '../modules/crawl/crawl.worker.js';

/**
 * The real app on 127.0.0.1 and a throw-away database, for `npm run eval` and `npm run bench`: a fresh
 * SQLite file under the OS temp folder, or a fresh schema in a PostgreSQL database that is dropped on close.
 */

export interface LocalApp {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  databaseKind: 'sqlite' | 'postgres';
  /** Embeds a chatbot's knowledge with its embeddings model now, as the worker's background sync would (eval --embeddings). */
  syncEmbeddings(chatbotId: string): Promise<EmbeddingSyncResult>;
  close(): Promise<void>;
}

export interface LocalAppOptions {
  /** A `postgres://` URL to create a scratch schema in; SQLite when absent. */
  postgresUrl?: string | undefined;
  /** Extra settings, as environment variable names (FC_TRUST_PROXY, LOG_LEVEL, …). */
  env?: Record<string, string>;
  /** Run the website-import worker beside the API (as `npm start` does), for website imports. */
  crawlWorker?: boolean;
}

const POSTGRES_CONNECT_TIMEOUT_MS = 2_000;

async function runAdminQuery(url: string, query: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

/** True when a PostgreSQL server answers at `url` (used to skip PostgreSQL scenarios cleanly). */
export async function isPostgresReachable(url: string): Promise<boolean> {
  try {
    await runAdminQuery(url, 'select 1');
    return true;
  } catch {
    return false;
  }
}

/**
 * A throw-away database URL: a fresh schema in `postgresUrl` (dropped by `drop`), or a SQLite file in
 * `dataDir` when there is no PostgreSQL.
 */
export async function createScratchDatabaseUrl(postgresUrl: string | null | undefined, dataDir: string): Promise<{ databaseUrl: string; drop: () => Promise<void> }> {
  if (!postgresUrl) return { databaseUrl: `sqlite:${path.join(dataDir, 'scratch.db')}`, drop: () => Promise.resolve() };
  const schema = `fc_scratch_${randomBytes(6).toString('hex')}`;
  await runAdminQuery(postgresUrl, `create schema ${schema}`);
  const url = new URL(postgresUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { databaseUrl: url.toString(), drop: () => runAdminQuery(postgresUrl, `drop schema if exists ${schema} cascade`) };
}

/** Starts the app on 127.0.0.1 on a free port, on a fresh database. */
export async function startLocalApp(options: LocalAppOptions = {}): Promise<LocalApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'fc-local-'));
  const { databaseUrl, drop: dropSchema } = await createScratchDatabaseUrl(options.postgresUrl, dataDir);
  const config = loadConfig({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    FC_DATA_DIR: dataDir,
    FC_SECRET_KEY: randomBytes(32).toString('hex'),
    FC_SEED_DEMO: 'false',
    FC_DELIVERY_WORKER: 'off',
    LOG_LEVEL: 'warn',
    ...options.env,
  });
  const database = openDatabase(config.database);
  await migrateToLatest(database.db);
  const app = await buildApp({ config, database });
  await app.listen({ host: config.host, port: config.port });
  const crawler = options.crawlWorker ? createCrawlWorker({ db: database.db, config, log: app.log, pollIntervalMs: 100 }) : null;
  crawler?.start();
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the local app is not listening on a TCP port');
  let embeddingProvider: LlmProvider | null = null;
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    databaseKind: database.dialect,
    syncEmbeddings(chatbotId) {
      embeddingProvider ??= createLlmProvider({ allowPrivate: config.allowPrivateWebhookTargets });
      return syncKnowledgeEmbeddings({ db: database.db, provider: embeddingProvider, secretKey: config.secretKey }, chatbotId);
    },
    async close() {
      await embeddingProvider?.close();
      await crawler?.stop();
      await app.close();
      await database.close();
      await dropSchema();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
