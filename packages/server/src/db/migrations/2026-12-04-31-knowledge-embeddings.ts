import type { Kysely } from 'kysely';

// A chatbot's passages embedded by its provider's embeddings model (issue 18): one row per passage of an entry
// and model, keyed by the passage's text hash so an edit re-embeds only what changed and a restart re-embeds nothing.
// The vector is little-endian float32 bytes, base64 (no vector extension on our PostgreSQL; search is in memory).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('knowledge_embeddings')
    .addColumn('chatbot_id', 'text', (c) => c.notNull())
    .addColumn('entry_id', 'text', (c) => c.notNull())
    .addColumn('passage', 'integer', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('text_hash', 'text', (c) => c.notNull())
    .addColumn('dims', 'integer', (c) => c.notNull())
    .addColumn('vector', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('knowledge_embeddings_pk', ['chatbot_id', 'entry_id', 'passage', 'model'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('knowledge_embeddings').execute();
}
