/**
 * Kysely table types. Conventions (both databases): ids are prefixed random text, timestamps are stored
 * ISO 8601 text (see lib/time.ts), booleans are integers 0/1, JSON is stored as text and parsed in the
 * repositories. One representation on SQLite and PostgreSQL keeps every query identical on both.
 */
export interface CustomersTable {
  id: string;
  name: string;
  status: 'trial' | 'active' | 'cancelled';
  trial_ends_at: string;
  created_at: string;
  updated_at: string;
  cancelled_at: string | null;
}

export interface UsersTable {
  id: string;
  customer_id: string;
  email: string;
  name: string | null;
  password_hash: string;
  created_at: string;
}

/** `owner`: everything; `agent`: the inbox, conversations, leads and their own profile (http/roles.ts). */
export type MemberRole = 'owner' | 'agent';

/** A user's place in an account. A user may belong to several; `users.customer_id` is the one a login opens. */
export interface MembershipsTable {
  customer_id: string;
  user_id: string;
  role: MemberRole;
  created_at: string;
}

/** One invitation link: single use, expiring, revocable, stored as the sha256 of its token. */
export interface InvitesTable {
  id: string;
  customer_id: string;
  email: string;
  role: MemberRole;
  token_hash: string;
  invited_by_user_id: string | null;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  accepted_user_id: string | null;
  revoked_at: string | null;
}

/** One open inbox stream of a user, refreshed while open: "online in the inbox". */
export interface InboxPresenceTable {
  id: string;
  customer_id: string;
  user_id: string;
  seen_at: string;
}

export interface SessionsTable {
  /** sha256 of the cookie token: a leaked database does not hand out live sessions. */
  id: string;
  user_id: string;
  customer_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

/** One e-mailed password-reset link: single use, short-lived, stored as the sha256 of its token. */
export interface PasswordResetsTable {
  id: string;
  user_id: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface ApiKeysTable {
  id: string;
  customer_id: string;
  name: string;
  key_hash: string;
  key_prefix: string;
  /** `read`: GET and HEAD only; `write`: everything a portal user can do except managing keys and the account. */
  scope: ApiKeyScope;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export type ApiKeyScope = 'read' | 'write';

export interface ChatbotsTable {
  id: string;
  customer_id: string;
  name: string;
  settings: string;
  knowledge_version: number;
  created_at: string;
  updated_at: string;
}

export interface KnowledgeEntriesTable {
  id: string;
  customer_id: string;
  chatbot_id: string;
  kind: 'faq' | 'document' | 'curated';
  title: string;
  question: string | null;
  answer: string | null;
  text: string | null;
  /** The web page or file this passage was imported from (null for entries typed or imported as JSON/CSV). */
  source_id: string | null;
  created_at: string;
  updated_at: string;
}

export type KnowledgeSourceKind = 'page' | 'file';
export type KnowledgeSourceStatus = 'active' | 'excluded' | 'failed';

/** A web page or file whose passages are knowledge entries (issue 14). */
export interface KnowledgeSourcesTable {
  id: string;
  customer_id: string;
  chatbot_id: string;
  kind: KnowledgeSourceKind;
  url: string | null;
  title: string;
  status: KnowledgeSourceStatus;
  passages: number;
  etag: string | null;
  last_modified: string | null;
  content_hash: string | null;
  last_error: string | null;
  last_synced_at: string | null;
  created_at: string;
  updated_at: string;
}

export type CrawlJobKind = 'import' | 'resync';
export type CrawlJobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface CrawlJobsTable {
  id: string;
  customer_id: string;
  chatbot_id: string;
  kind: CrawlJobKind;
  start_url: string;
  status: CrawlJobStatus;
  max_pages: number;
  max_depth: number;
  time_budget_ms: number;
  is_seeded: number;
  is_cancel_requested: number;
  /** Why the crawl stopped before running out of pages (a cap, the time budget, a cancel), in words. */
  stop_reason: string | null;
  error: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  /** How many times a worker took the job (more than 1 after a crash or a restart). */
  runs: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
}

export type CrawlPageStatus = 'queued' | 'fetching' | 'fetched' | 'unchanged' | 'skipped' | 'failed';

export interface CrawlPagesTable {
  job_id: string;
  url: string;
  seq: number;
  depth: number;
  status: CrawlPageStatus;
  reason: string | null;
  http_status: number | null;
  title: string | null;
  passages: number;
  source_id: string | null;
  updated_at: string;
}

export type CrawlScheduleEvery = 'daily' | 'weekly';

export interface CrawlSchedulesTable {
  chatbot_id: string;
  customer_id: string;
  every: CrawlScheduleEvery;
  next_run_at: string;
  updated_at: string;
}

export type ConversationStatus = 'open' | 'ended';

export interface ConversationsTable {
  id: string;
  customer_id: string;
  chatbot_id: string;
  visitor_id: string;
  token_hash: string;
  /** When the conversation token stops working; every visitor message moves it on. Null: from `last_message_at` (older rows). */
  token_expires_at: string | null;
  status: ConversationStatus;
  intent: string | null;
  /** The engine's conversation state (JSON). */
  state: string;
  message_count: number;
  first_message: string | null;
  lead_id: string | null;
  escalated: number;
  page_url: string | null;
  referrer: string | null;
  locale: string | null;
  started_at: string;
  last_message_at: string;
  /** When the idle sweep ends this conversation unless another message arrives first. */
  idle_deadline_at: string | null;
  ended_at: string | null;
  /** Who answers the visitor (modules/handoff): the bot, nobody yet (a person is awaited), a person, or nobody since resolved. */
  handoff_state: HandoffState;
  /** The portal user (or API key) holding the conversation, and the name the visitor sees on their replies. */
  handoff_agent_id: string | null;
  handoff_agent_name: string | null;
  /** The system notice shown while the bot is silent; stored once per waiting/human phase. */
  handoff_notice_id: string | null;
  handoff_changed_at: string | null;
  /** Visitor messages the inbox has not read yet. */
  unread_count: number;
  /** The `clientMessageId` of the message that started the conversation (unique per chatbot and visitor). */
  client_message_id: string | null;
  /** The visitor's satisfaction (1–5) after a person resolved the conversation; one per resolution (modules/satisfaction). */
  satisfaction_score: number | null;
  satisfaction_comment: string | null;
  satisfaction_rated_at: string | null;
  /** The public name of the person who resolved the conversation the rating is about. */
  satisfaction_agent_name: string | null;
}

export type HandoffState = 'bot' | 'waiting_for_human' | 'human' | 'resolved';

export type MessageRole = 'visitor' | 'assistant' | 'agent' | 'system';

export interface MessagesTable {
  id: string;
  customer_id: string;
  conversation_id: string;
  /** Position in the conversation; `after=<msg id>` pagination and ordering use it. */
  seq: number;
  role: MessageRole;
  text: string;
  intent: string | null;
  /** JSON array of {id, title} for bot answers. */
  sources: string | null;
  confidence: number | null;
  author_name: string | null;
  created_at: string;
  /** The widget's id for a visitor message (unique per conversation): a repeat answers `client_reply`. */
  client_message_id: string | null;
  /** JSON: the reply as first answered (conversation token left out, or sealed for a new conversation). */
  client_reply: string | null;
  /** `model` for a bot answer the chatbot's language model wrote (issue 18); null otherwise. */
  answered_by: 'model' | null;
  /** What a person's system notice says (`claimed`, `handed_back`, `resolved`), so clients can word it; null otherwise. */
  kind: 'claimed' | 'handed_back' | 'resolved' | null;
}

export interface RatingsTable {
  id: string;
  customer_id: string;
  chatbot_id: string;
  conversation_id: string;
  message_id: string;
  rating: 'up' | 'down';
  comment: string | null;
  created_at: string;
  updated_at: string;
}

export interface LeadsTable {
  id: string;
  customer_id: string;
  chatbot_id: string;
  conversation_id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  intent: string | null;
  created_at: string;
  updated_at: string;
  /** When `lead.captured` was written to the outbox; null until the capture flow ends or the conversation idles. */
  captured_at: string | null;
}

export interface EscalationsTable {
  id: string;
  customer_id: string;
  chatbot_id: string;
  conversation_id: string;
  reason: string;
  last_message: string | null;
  status: 'open' | 'resolved';
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
}

export interface ReviewsTable {
  id: string;
  customer_id: string;
  chatbot_id: string;
  conversation_id: string;
  message_id: string;
  question: string;
  answer: string;
  sources: string;
  comment: string | null;
  status: 'open' | 'resolved' | 'dismissed';
  resolution_entry_id: string | null;
  created_at: string;
  resolved_at: string | null;
}

export interface LearnedExamplesTable {
  id: string;
  customer_id: string;
  chatbot_id: string;
  entry_id: string;
  message_id: string;
  question: string;
  /** `suggested` by a visitor's thumbs-up; only `approved` (by the owner, in Training) reaches the index. */
  status: 'suggested' | 'approved' | 'dismissed';
  created_at: string;
  decided_at: string | null;
}

export interface EventsTable {
  id: string;
  customer_id: string;
  chatbot_id: string | null;
  conversation_id: string | null;
  type: string;
  /** JSON: the event context mappings read from (lead, chatbot, conversation, visitor, …). */
  payload: string;
  created_at: string;
}

export type DeliveryStatus = 'pending' | 'retrying' | 'succeeded' | 'failed';

export interface WebhooksTable {
  id: string;
  customer_id: string;
  chatbot_id: string | null;
  kind: 'webhook' | 'zapier' | 'sheets';
  name: string | null;
  url: string;
  /** JSON array of event types. */
  events: string;
  signing_mode: 'shared-secret' | 'hmac-sha256';
  secret_sealed: string;
  /** After a rotation the old secret keeps signing alongside the new one until it expires. */
  previous_secret_sealed: string | null;
  previous_secret_expires_at: string | null;
  /** JSON field mappings keyed by event type or "*". */
  mappings: string;
  /** Sealed JSON object of custom headers (they often carry CRM credentials). */
  headers_sealed: string | null;
  body_format: 'json' | 'form';
  preset: string | null;
  enabled: number;
  disabled_reason: string | null;
  disabled_at: string | null;
  /** Start of the current run of failures (null after a success). */
  failing_since: string | null;
  last_success_at: string | null;
  last_failure_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface DeliveriesTable {
  id: string;
  customer_id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  /** Attempts allowed before giving up; null = the retry schedule's length. A test send allows one. */
  retry_limit: number | null;
  /** Attempts made before the latest re-send: the retry schedule restarts from here. */
  attempt_base: number;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

export interface DeliveryAttemptsTable {
  id: string;
  delivery_id: string;
  customer_id: string;
  attempt_number: number;
  started_at: string;
  status_code: number | null;
  latency_ms: number;
  outcome: 'success' | 'retry' | 'gone' | 'failure';
  error_class: string | null;
  error_message: string | null;
  /** JSON of the request headers sent, with secrets redacted. */
  request_headers: string;
  response_excerpt: string | null;
}

/** What a Google Sheets destination adds to its `webhooks` row (kind 'sheets'). */
export interface SheetsDestinationsTable {
  webhook_id: string;
  customer_id: string;
  spreadsheet_id: string;
  tab_name: string;
  /** The service account: its email (to share the sheet with), key id and token endpoint; the key itself is sealed in webhooks.secret_sealed. */
  client_email: string;
  private_key_id: string | null;
  token_uri: string;
  /** JSON array of {header, value}: one column each, values in the webhook mapping language. */
  columns: string;
  /** When row 1 was last found holding a header (or written); null until the first delivery checks. */
  header_checked_at: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * Events whose row was sent to a sheet: 'sending' is written before the append, 'written' after it
 * succeeded. A 'sending' row means the outcome is unknown (timeout, crash), so the next attempt reads the
 * sheet's event-id column before appending again.
 */
export interface SheetsAppendedEventsTable {
  webhook_id: string;
  event_id: string;
  customer_id: string;
  status: 'sending' | 'written';
  updated_at: string;
}

/** Outbox of "new escalation" e-mails to the customer's users; the delivery worker sends them over SMTP. */
export interface EscalationEmailsTable {
  id: string;
  customer_id: string;
  escalation_id: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  next_attempt_at: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  last_error: string | null;
  /** JSON array of the addresses the e-mail went to (after sending). */
  recipients: string | null;
  created_at: string;
  sent_at: string | null;
}

export interface Database {
  customers: CustomersTable;
  users: UsersTable;
  memberships: MembershipsTable;
  invites: InvitesTable;
  inbox_presence: InboxPresenceTable;
  sessions: SessionsTable;
  password_resets: PasswordResetsTable;
  api_keys: ApiKeysTable;
  chatbots: ChatbotsTable;
  knowledge_entries: KnowledgeEntriesTable;
  knowledge_sources: KnowledgeSourcesTable;
  crawl_jobs: CrawlJobsTable;
  crawl_pages: CrawlPagesTable;
  crawl_schedules: CrawlSchedulesTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  ratings: RatingsTable;
  leads: LeadsTable;
  escalations: EscalationsTable;
  reviews: ReviewsTable;
  learned_examples: LearnedExamplesTable;
  events: EventsTable;
  webhooks: WebhooksTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  sheets_destinations: SheetsDestinationsTable;
  sheets_appended_events: SheetsAppendedEventsTable;
  escalation_emails: EscalationEmailsTable;
  idempotency_keys: IdempotencyKeysTable;
  llm_usage: LlmUsageTable;
  knowledge_embeddings: KnowledgeEmbeddingsTable;
}

/** A passage of a knowledge entry embedded by a chatbot's embeddings model (vector: base64 little-endian float32). */
export interface KnowledgeEmbeddingsTable {
  chatbot_id: string;
  entry_id: string;
  /** Position of the passage in the entry (FAQs have one). */
  passage: number;
  model: string;
  customer_id: string;
  /** SHA-256 of the embedded text: a changed passage is embedded again. */
  text_hash: string;
  dims: number;
  vector: string;
  created_at: string;
}

/** A chatbot's language-model calls per UTC day (`day` = YYYY-MM-DD): the daily token cap and the dashboard read it. */
export interface LlmUsageTable {
  chatbot_id: string;
  day: string;
  customer_id: string;
  calls: number;
  answered: number;
  declined: number;
  failures: number;
  /** Turns the model was not asked because the daily token cap was reached. */
  skipped: number;
  prompt_tokens: number;
  completion_tokens: number;
}

/** A portal `Idempotency-Key` (kept 24 hours): the first request's hash and, once answered, its response. */
export interface IdempotencyKeysTable {
  customer_id: string;
  key: string;
  /** SHA-256 of method, path and body. */
  request_hash: string;
  /** Null while the first request is still running. */
  status_code: number | null;
  /** Sealed with FC_SECRET_KEY: a response can hold a one-time API key or a webhook secret. */
  response_body: string | null;
  created_at: string;
  expires_at: string;
}
