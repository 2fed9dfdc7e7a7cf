import { sql, type Kysely } from 'kysely';

// Knowledge from websites and files (issue 14).
// - `knowledge_sources`: one row per imported web page (or file); its passages are ordinary `knowledge_entries`
//   rows pointing back at it (`source_id`), so the chat engine indexes them like any document. Excluding or
//   deleting a source removes its passages; the source row keeps what a re-sync needs (ETag, Last-Modified,
//   content hash).
// - `crawl_jobs`: a website import or re-sync, run off the request path by a worker that holds a lease on it
//   (a crashed worker's job is taken over when the lease expires). At most one unfinished job per chatbot:
//   the partial unique index decides, so two racing requests cannot both start one.
// - `crawl_pages`: the job's frontier and its report (found / fetched / skipped with the reason / failed with
//   the error). A resumed job carries on from it.
// - `crawl_schedules`: a chatbot's automatic re-sync (daily or weekly) and when it is next due.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('knowledge_sources')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('chatbot_id', 'text', (c) => c.notNull().references('chatbots.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('url', 'text')
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('passages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('etag', 'text')
    .addColumn('last_modified', 'text')
    .addColumn('content_hash', 'text')
    .addColumn('last_error', 'text')
    .addColumn('last_synced_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('knowledge_sources_url_idx').on('knowledge_sources').columns(['chatbot_id', 'url']).unique().execute();
  await db.schema.createIndex('knowledge_sources_list_idx').on('knowledge_sources').columns(['chatbot_id', 'created_at', 'id']).execute();
  await db.schema.alterTable('knowledge_entries').addColumn('source_id', 'text', (c) => c.references('knowledge_sources.id').onDelete('cascade')).execute();
  await db.schema.createIndex('knowledge_entries_source_idx').on('knowledge_entries').column('source_id').execute();

  await db.schema
    .createTable('crawl_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('chatbot_id', 'text', (c) => c.notNull().references('chatbots.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('start_url', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('max_pages', 'integer', (c) => c.notNull())
    .addColumn('max_depth', 'integer', (c) => c.notNull())
    .addColumn('time_budget_ms', 'integer', (c) => c.notNull())
    .addColumn('is_seeded', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('stop_reason', 'text')
    .addColumn('error', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('runs', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('crawl_jobs_list_idx').on('crawl_jobs').columns(['chatbot_id', 'created_at', 'id']).execute();
  await sql`create unique index crawl_jobs_one_active_idx on crawl_jobs (chatbot_id) where status in ('queued', 'running')`.execute(db);
  await sql`create index crawl_jobs_due_idx on crawl_jobs (created_at) where status in ('queued', 'running')`.execute(db);

  await db.schema
    .createTable('crawl_pages')
    .addColumn('job_id', 'text', (c) => c.notNull().references('crawl_jobs.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('depth', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('http_status', 'integer')
    .addColumn('title', 'text')
    .addColumn('passages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('source_id', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('crawl_pages_pk', ['job_id', 'url'])
    .execute();
  await db.schema.createIndex('crawl_pages_queue_idx').on('crawl_pages').columns(['job_id', 'status', 'seq']).execute();

  await db.schema
    .createTable('crawl_schedules')
    .addColumn('chatbot_id', 'text', (c) => c.primaryKey().references('chatbots.id').onDelete('cascade'))
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('every', 'text', (c) => c.notNull())
    .addColumn('next_run_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('crawl_schedules_due_idx').on('crawl_schedules').column('next_run_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('crawl_schedules').execute();
  await db.schema.dropTable('crawl_pages').execute();
  await db.schema.dropTable('crawl_jobs').execute();
  await db.schema.dropIndex('knowledge_entries_source_idx').execute();
  await db.schema.alterTable('knowledge_entries').dropColumn('source_id').execute();
  await db.schema.dropTable('knowledge_sources').execute();
}
