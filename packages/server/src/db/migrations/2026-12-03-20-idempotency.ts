import type { Kysely } from 'kysely';

// Idempotency (issue 15, item 14).
// - `messages.client_message_id`: the widget's id for a visitor message, unique per conversation, so a retried send
//   answers the stored reply (`client_reply`, JSON) instead of running a second turn.
// - `conversations.client_message_id`: the id of the message that started the conversation, unique per chatbot and
//   visitor, so two racing "first message" requests cannot open two conversations.
// NULLs are distinct in unique indexes on both SQLite and PostgreSQL: messages sent without an id are unaffected.
// - `idempotency_keys`: the portal's `Idempotency-Key` header, one row per customer and key, kept 24 hours.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('client_message_id', 'text').execute();
  await db.schema.alterTable('messages').addColumn('client_reply', 'text').execute();
  await db.schema.createIndex('messages_client_message_idx').on('messages').columns(['conversation_id', 'client_message_id']).unique().execute();
  await db.schema.alterTable('conversations').addColumn('client_message_id', 'text').execute();
  await db.schema.createIndex('conversations_client_message_idx').on('conversations').columns(['chatbot_id', 'visitor_id', 'client_message_id']).unique().execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    // Null while the first request is still running.
    .addColumn('status_code', 'integer')
    // The response body, sealed (it can hold a one-time API key or a webhook secret).
    .addColumn('response_body', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['customer_id', 'key'])
    .execute();
  await db.schema.createIndex('idempotency_keys_expiry_idx').on('idempotency_keys').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute();
  await db.schema.dropIndex('conversations_client_message_idx').execute();
  await db.schema.alterTable('conversations').dropColumn('client_message_id').execute();
  await db.schema.dropIndex('messages_client_message_idx').execute();
  await db.schema.alterTable('messages').dropColumn('client_reply').execute();
  await db.schema.alterTable('messages').dropColumn('client_message_id').execute();
}
