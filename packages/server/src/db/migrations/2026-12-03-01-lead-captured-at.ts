import { sql, type Kysely } from 'kysely';

// `lead.captured` is sent once per conversation when the lead-capture flow ends (or the conversation goes idle),
// not when the lead row first appears; `captured_at` records that it was written to the outbox, so later changes
// send `lead.updated` instead. Leads stored before this migration were announced when they were created.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('leads').addColumn('captured_at', 'text').execute();
  await sql`update leads set captured_at = created_at`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('leads').dropColumn('captured_at').execute();
}
