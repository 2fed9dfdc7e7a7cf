import { sql, type Kysely } from 'kysely';

// Human handoff (issue 9): who answers a conversation (the bot, a person being waited for, a person, nobody
// since it was resolved), which portal user holds it, what the inbox has not read yet, and an outbox of
// "new escalation" e-mails that the delivery worker sends (written in the escalation's transaction).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('conversations').addColumn('handoff_state', 'text', (c) => c.notNull().defaultTo('bot')).execute();
  await db.schema.alterTable('conversations').addColumn('handoff_agent_id', 'text').execute();
  await db.schema.alterTable('conversations').addColumn('handoff_agent_name', 'text').execute();
  await db.schema.alterTable('conversations').addColumn('handoff_notice_id', 'text').execute();
  await db.schema.alterTable('conversations').addColumn('handoff_changed_at', 'text').execute();
  await db.schema.alterTable('conversations').addColumn('unread_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  // Conversations escalated before this migration wait for a person, as they would have after it.
  await sql`update conversations set handoff_state = 'waiting_for_human'
    where id in (select conversation_id from escalations where status = 'open')`.execute(db);
  await db.schema.createIndex('conversations_handoff_idx').on('conversations').columns(['customer_id', 'handoff_state']).execute();

  await db.schema
    .createTable('escalation_emails')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('escalation_id', 'text', (c) => c.notNull().references('escalations.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('recipients', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .execute();
  await db.schema.createIndex('escalation_emails_due_idx').on('escalation_emails').columns(['status', 'next_attempt_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('escalation_emails').ifExists().execute();
  await db.schema.dropIndex('conversations_handoff_idx').ifExists().execute();
  for (const column of ['unread_count', 'handoff_changed_at', 'handoff_notice_id', 'handoff_agent_name', 'handoff_agent_id', 'handoff_state']) {
    await db.schema.alterTable('conversations').dropColumn(column).execute();
  }
}
