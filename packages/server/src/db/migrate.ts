import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Kysely } from 'kysely';
import * as accountsAndChatbots from './migrations/2026-11-28-01-accounts-and-chatbots.js';

/**
 * Dated migrations, listed explicitly so the compiled build needs no directory scanning. Names sort by date;
 * add new files at the end.
 */
const MIGRATIONS: Record<string, Migration> = {
  '2026-11-28-01-accounts-and-chatbots': accountsAndChatbots,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) };

/** Applies every pending migration (Kysely takes a lock, so concurrent starters are safe on PostgreSQL). */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
