import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import type { Database } from './schema.js';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The pg pool on PostgreSQL (LISTEN/NOTIFY and health use it directly); null on SQLite. */
  pgPool: pg.Pool | null;
  close(): Promise<void>;
}

const STATEMENT_CACHE_SIZE = 1_000;
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
const PG_POOL_SIZE = 10;
const PG_CONNECT_TIMEOUT_MS = 5_000;

/**
 * Kysely's SQLite driver calls `prepare()` for every query, and preparing costs about as much as running
 * a small statement. better-sqlite3 statements are reusable (the driver is synchronous), so we hand Kysely
 * a database whose `prepare` returns a cached statement per SQL text: roughly double the hot-path throughput.
 */
function withStatementCache(database: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = database.prepare.bind(database);
  return new Proxy(database, {
    get(target, property, receiver) {
      if (property !== 'prepare') return Reflect.get(target, property, receiver) as unknown;
      return (sql: string) => {
        let statement = cache.get(sql);
        if (statement === undefined) {
          statement = prepare(sql);
          if (cache.size >= STATEMENT_CACHE_SIZE) {
            const oldest = cache.keys().next().value;
            if (oldest !== undefined) cache.delete(oldest);
          }
          cache.set(sql, statement);
        }
        return statement;
      };
    },
  });
}

const SQLITE_FILE_MODE = 0o600;

/** Opens the configured database: SQLite (WAL) by default, PostgreSQL for `postgres://` URLs. */
export function openDatabase(config: DatabaseConfig): Db {
  if (config.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: config.url,
      max: PG_POOL_SIZE,
      connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    });
    // A dropped idle connection (database restart) must not crash the process; the pool replaces it.
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', pgPool: pool, close: () => db.destroy() };
  }

  if (config.file !== ':memory:') {
    mkdirSync(path.dirname(config.file), { recursive: true });
    // Conversations, leads and sealed secrets live here: owner-only. SQLite gives its -wal and -shm files the
    // database file's mode, so creating (or fixing) the main file 0600 covers all three.
    closeSync(openSync(config.file, 'a', SQLITE_FILE_MODE));
    chmodSync(config.file, SQLITE_FILE_MODE);
  }
  const sqlite = new SQLite(config.file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: 'sqlite', pgPool: null, close: () => db.destroy() };
}

/** True when an insert hit a unique index or primary key (PostgreSQL SQLSTATE 23505, SQLite's constraint codes). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
