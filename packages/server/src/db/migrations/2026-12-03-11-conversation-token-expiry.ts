import type { Kysely } from 'kysely';

// Conversation tokens expire (issue 13, low 11): `token_expires_at` slides forward with every visitor message.
// Conversations from before this migration keep it null and count from `last_message_at` (chat.service.ts), so no
// backfill with database-specific date arithmetic is needed.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('conversations').addColumn('token_expires_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('conversations').dropColumn('token_expires_at').execute();
}
