import { sql, type Kysely } from 'kysely';

// Outbound destinations (webhooks; Zapier subscriptions and Sheets use the same pipeline), one delivery per
// event and destination, and every attempt of each delivery.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('chatbot_id', 'text', (c) => c.references('chatbots.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('webhook'))
    .addColumn('name', 'text')
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('signing_mode', 'text', (c) => c.notNull())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('previous_secret_sealed', 'text')
    .addColumn('previous_secret_expires_at', 'text')
    .addColumn('mappings', 'text', (c) => c.notNull())
    .addColumn('headers_sealed', 'text')
    .addColumn('body_format', 'text', (c) => c.notNull())
    .addColumn('preset', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('disabled_reason', 'text')
    .addColumn('disabled_at', 'text')
    .addColumn('failing_since', 'text')
    .addColumn('last_success_at', 'text')
    .addColumn('last_failure_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhooks_customer_idx').on('webhooks').columns(['customer_id', 'created_at']).execute();

  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('webhook_id', 'text', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    .addColumn('event_id', 'text', (c) => c.notNull().references('events.id').onDelete('cascade'))
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('retry_limit', 'integer')
    .addColumn('attempt_base', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .execute();
  // Workers only ever scan due, unfinished deliveries: a partial index keeps that scan tiny.
  await db.schema
    .createIndex('deliveries_due_idx')
    .on('deliveries')
    .columns(['next_attempt_at'])
    .where(sql.ref('status'), 'in', ['pending', 'retrying'])
    .execute();
  await db.schema.createIndex('deliveries_webhook_idx').on('deliveries').columns(['webhook_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('deliveries_event_idx').on('deliveries').column('event_id').execute();

  await db.schema
    .createTable('delivery_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('delivery_id', 'text', (c) => c.notNull().references('deliveries.id').onDelete('cascade'))
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('attempt_number', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('error_class', 'text')
    .addColumn('error_message', 'text')
    .addColumn('request_headers', 'text', (c) => c.notNull())
    .addColumn('response_excerpt', 'text')
    .execute();
  await db.schema.createIndex('attempts_delivery_idx').on('delivery_attempts').columns(['delivery_id', 'attempt_number']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['delivery_attempts', 'deliveries', 'webhooks']) await db.schema.dropTable(table).ifExists().execute();
}
