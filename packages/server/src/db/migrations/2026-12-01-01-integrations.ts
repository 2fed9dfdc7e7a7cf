import type { Kysely } from 'kysely';

// Google Sheets destinations. The destination itself is a `webhooks` row of kind 'sheets' (events, chatbot
// filter, enabled, health, deliveries and their log all come from there; its `secret_sealed` holds the
// service account's private key). This table adds what only a sheet has, and a ledger of the events whose
// rows were sent to it, so a retry never writes a row twice.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sheets_destinations')
    .addColumn('webhook_id', 'text', (c) => c.primaryKey().references('webhooks.id').onDelete('cascade'))
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('spreadsheet_id', 'text', (c) => c.notNull())
    .addColumn('tab_name', 'text', (c) => c.notNull())
    .addColumn('client_email', 'text', (c) => c.notNull())
    .addColumn('private_key_id', 'text')
    .addColumn('token_uri', 'text', (c) => c.notNull())
    .addColumn('columns', 'text', (c) => c.notNull())
    .addColumn('header_checked_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sheets_destinations_customer_idx').on('sheets_destinations').columns(['customer_id', 'created_at']).execute();

  await db.schema
    .createTable('sheets_appended_events')
    .addColumn('webhook_id', 'text', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sheets_appended_events_pk', ['webhook_id', 'event_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['sheets_appended_events', 'sheets_destinations']) await db.schema.dropTable(table).ifExists().execute();
}
