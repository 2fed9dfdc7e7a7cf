import { sql, type Kysely } from 'kysely';

// A thumbs-up no longer teaches the engine by itself: the visitor's wording becomes a *suggested* paraphrase
// that the owner approves (or dismisses) in Training, and only approved ones reach the search index. Rows
// learned before this migration came from anonymous ratings nobody reviewed, so they wait for approval too.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('learned_examples').addColumn('status', 'text', (c) => c.notNull().defaultTo('suggested')).execute();
  await db.schema.alterTable('learned_examples').addColumn('decided_at', 'text').execute();
  await sql`update learned_examples set status = 'suggested'`.execute(db);
  await db.schema.createIndex('learned_customer_status_idx').on('learned_examples').columns(['customer_id', 'status', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('learned_customer_status_idx').execute();
  await db.schema.alterTable('learned_examples').dropColumn('decided_at').execute();
  await db.schema.alterTable('learned_examples').dropColumn('status').execute();
}
