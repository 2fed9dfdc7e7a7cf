import { Migrator, PostgresAdapter, sql, type Migration, type MigrationProvider } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import * as accountsAndChatbots from './migrations/2026-11-28-01-accounts-and-chatbots.js';
import * as conversationsAndOutbox from './migrations/2026-11-28-02-conversations-and-outbox.js';
import * as webhooksAndDeliveries from './migrations/2026-11-28-03-webhooks-and-deliveries.js';
import * as integrations from './migrations/2026-12-01-01-integrations.js';
import * as handoff from './migrations/2026-12-01-02-handoff.js';
import * as leadCapturedAt from './migrations/2026-12-03-01-lead-captured-at.js';
import * as paraphraseApproval from './migrations/2026-12-03-03-paraphrase-approval.js';
import * as apiKeyScopes from './migrations/2026-12-03-04-api-key-scopes.js';
import * as passwordResets from './migrations/2026-12-03-10-password-resets.js';
import * as conversationTokenExpiry from './migrations/2026-12-03-11-conversation-token-expiry.js';
import * as idempotency from './migrations/2026-12-03-20-idempotency.js';
import * as maskLoggedHeaderValues from './migrations/2026-12-03-21-mask-logged-header-values.js';
import * as llmUsage from './migrations/2026-12-04-30-llm-usage.js';
import * as knowledgeEmbeddings from './migrations/2026-12-04-31-knowledge-embeddings.js';
import * as knowledgeSourcesAndCrawls from './migrations/2026-12-04-31-knowledge-sources-and-crawls.js';
import * as teamMembersInvites from './migrations/2026-12-04-team-members-invites.js';
import * as conversationSatisfaction from './migrations/2026-12-04-widget-conversation-satisfaction.js';

/**
 * Dated migrations, listed explicitly so the compiled build needs no directory scanning. Names sort by date;
 * add new files at the end.
 */
const MIGRATIONS: Record<string, Migration> = {
  '2026-11-28-01-accounts-and-chatbots': accountsAndChatbots,
  '2026-11-28-02-conversations-and-outbox': conversationsAndOutbox,
  '2026-11-28-03-webhooks-and-deliveries': webhooksAndDeliveries,
  '2026-12-01-01-integrations': integrations,
  '2026-12-01-02-handoff': handoff,
  '2026-12-03-01-lead-captured-at': leadCapturedAt,
  '2026-12-03-03-paraphrase-approval': paraphraseApproval,
  '2026-12-03-04-api-key-scopes': apiKeyScopes,
  '2026-12-03-10-password-resets': passwordResets,
  '2026-12-03-11-conversation-token-expiry': conversationTokenExpiry,
  '2026-12-03-20-idempotency': idempotency,
  '2026-12-03-21-mask-logged-header-values': maskLoggedHeaderValues,
  '2026-12-04-30-llm-usage': llmUsage,
  '2026-12-04-31-knowledge-embeddings': knowledgeEmbeddings,
  '2026-12-04-31-knowledge-sources-and-crawls': knowledgeSourcesAndCrawls,
  '2026-12-04-team-members-invites': teamMembersInvites,
  '2026-12-04-widget-conversation-satisfaction': conversationSatisfaction,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) };

/** Applies every pending migration (Kysely takes a lock, so concurrent starters are safe on PostgreSQL). */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  // Migrations are typed against no schema at all: they describe the tables as they were on their date.
  // Kysely looks for its bookkeeping tables in every schema it can see; name ours explicitly so a database
  // holding several schemas (one per test run, or per tenant of a shared server) finds the right ones.
  let migrationTableSchema: string | undefined;
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    migrationTableSchema = rows[0]?.schema;
  }
  const migrator = new Migrator({ db: db as unknown as Kysely<unknown>, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
