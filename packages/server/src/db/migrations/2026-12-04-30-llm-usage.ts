import type { Kysely } from 'kysely';

// A chatbot's language model (issue 18): what each UTC day cost and how it went, for the daily token cap and the
// dashboard, and which bot messages the model answered, for the conversation view.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('llm_usage')
    .addColumn('chatbot_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('calls', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('answered', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('declined', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('prompt_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('completion_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('llm_usage_pk', ['chatbot_id', 'day'])
    .execute();
  await db.schema.createIndex('llm_usage_customer_day').on('llm_usage').columns(['customer_id', 'day']).execute();
  await db.schema.alterTable('messages').addColumn('answered_by', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('answered_by').execute();
  await db.schema.dropTable('llm_usage').execute();
}
