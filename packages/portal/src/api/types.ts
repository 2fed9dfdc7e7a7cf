/** Wire shapes of the portal API (contract section 6), as the portal reads them. */

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** `owner`: everything; `agent`: inbox, conversations, leads and their own profile (server: http/roles.ts). */
export type MemberRole = 'owner' | 'agent';

export interface User {
  id: string;
  email: string;
  /** The display name visitors see on this person's inbox replies. */
  name: string | null;
  role: MemberRole;
  createdAt: string;
}

/** `/api/portal/team/members`. */
export interface Member {
  userId: string;
  email: string;
  name: string | null;
  role: MemberRole;
  joinedAt: string;
  isYou: boolean;
  online: boolean;
  lastSeenAt: string | null;
}

/** `/api/portal/team/invites`. */
export interface Invite {
  id: string;
  email: string;
  role: MemberRole;
  invitedBy: string | null;
  createdAt: string;
  expiresAt: string;
}

/** `/api/portal/account/memberships`: the accounts this login belongs to. */
export interface Membership {
  customerId: string;
  customerName: string;
  role: MemberRole;
  isCurrent: boolean;
}

export interface Customer {
  id: string;
  name: string;
  status: 'trial' | 'active' | 'cancelled' | string;
  trialEndsAt: string;
  isActive: boolean;
  trialDaysLeft: number | null;
  createdAt: string;
  cancelledAt: string | null;
}

export interface Session {
  user: User | null;
  customer: Customer;
  csrfToken: string | null;
}

/** `read`: GET requests only; `write`: changes too (everything but managing keys and the account). */
export type ApiKeyScope = 'read' | 'write';

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scope: ApiKeyScope;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export type LeadField = 'name' | 'email' | 'phone';

export interface ChatbotSettings {
  greeting: string;
  defaultPhoneRegion: string;
  locale: string;
  /** Where the widget's own words take their language from: this locale, or each visitor's browser first. */
  widgetLanguage: 'locale' | 'browser';
  allowedOrigins: string[];
  leadCapture: { enabled: boolean; fields: LeadField[]; requiredFields: LeadField[]; intents: string[] };
  escalation: {
    enabled: boolean; onRequest: boolean; onAnger: boolean; onComplaint: boolean; onLegal: boolean;
    maxFailedAnswers: number; keywords: string[];
  };
  rateLimit: { perVisitorPerMinute: number; perIpPerMinute: number };
  idleMinutesBeforeEnded: number;
  intents: { name: string; examples: string[]; captureLead: boolean }[];
  quickReplies: string[];
  appearance: { title: string; color: string; position: 'bottom-right' | 'bottom-left'; avatarUrl: string | null };
  llm: { baseUrl: string; model: string; timeoutMs: number; apiKeySet?: boolean; mode?: 'understand' | 'phrase'; dailyTokenLimit?: number; embeddingsModel?: string | null } | null;
  /** What the business does, in a few sentences (read by a configured language model). */
  description?: string;
  businessHours: BusinessHours;
}

export type Weekday = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';
export interface OpeningInterval { day: Weekday; open: string; close: string }
/** When a person answers escalations; times are `HH:MM` wall-clock in `timezone` (close may be `24:00`). */
export interface BusinessHours { enabled: boolean; timezone: string; weekly: OpeningInterval[] }

export interface Chatbot {
  id: string;
  name: string;
  settings: ChatbotSettings;
  knowledgeVersion: number;
  createdAt: string;
  updatedAt: string;
}

export interface KnowledgeEntry {
  id: string;
  chatbotId: string;
  kind: 'faq' | 'document' | 'curated' | string;
  title: string;
  question: string | null;
  answer: string | null;
  text: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Source {
  id: string;
  title: string;
  /** The web page the passage came from (imported websites only). */
  url?: string;
}

export interface PageCounts {
  found: number;
  queued: number;
  fetched: number;
  unchanged: number;
  skipped: number;
  failed: number;
}

/** A website import or re-sync. */
export interface CrawlJob {
  id: string;
  chatbotId: string;
  kind: 'import' | 'resync' | string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | string;
  startUrl: string;
  maxPages: number;
  maxDepth: number;
  pages: PageCounts;
  passages: number;
  stopReason: string | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface CrawlPage {
  url: string;
  depth: number;
  status: 'queued' | 'fetched' | 'unchanged' | 'skipped' | 'failed' | string;
  reason: string | null;
  httpStatus: number | null;
  title: string | null;
  passages: number;
  sourceId: string | null;
  updatedAt: string;
}

/** A web page (or file) whose passages are in the knowledge base. */
export interface KnowledgeSource {
  id: string;
  chatbotId: string;
  kind: 'page' | 'file' | string;
  url: string | null;
  title: string;
  status: 'active' | 'excluded' | 'failed' | string;
  passages: number;
  lastSyncedAt: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ChatReply {
  conversationId: string;
  conversationToken: string;
  message: { id: string; role: string; text: string; createdAt: string };
  intent: string | null;
  lead?: { captured: boolean; missing: string[] };
  escalated: boolean;
  quickReplies?: string[];
  sources: Source[];
}

export interface ConversationItem {
  id: string;
  chatbotId: string;
  visitorId: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  lastMessageAt: string;
  messageCount: number;
  intent: string | null;
  escalated: boolean;
  leadId: string | null;
  pageUrl: string | null;
  firstMessage: string | null;
  /** Who answers now: bot, waiting_for_human, human or resolved. */
  handoffState?: string;
}

export interface Lead {
  id: string;
  chatbotId: string;
  conversationId: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  intent: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Escalation {
  id: string;
  chatbotId: string;
  conversationId: string;
  reason: string;
  lastMessage: string | null;
  status: 'open' | 'resolved' | string;
  createdAt: string;
  resolvedAt: string | null;
}

export interface TranscriptMessage {
  id: string;
  role: 'visitor' | 'assistant' | 'agent' | 'system' | string;
  text: string;
  intent: string | null;
  createdAt: string;
  authorName: string | null;
  sources: Source[];
  confidence: number | null;
  /** Bot answers: written by the chatbot's language model, or the built-in engine's. */
  answeredBy: 'model' | 'engine' | null;
  rating: { rating: 'up' | 'down'; comment: string | null; updatedAt: string } | null;
}

export interface ConversationDetail extends ConversationItem {
  referrer: string | null;
  locale: string | null;
  messages: TranscriptMessage[];
  lead: Lead | null;
  escalation: Escalation | null;
  /** The visitor's 1–5 rating after a person resolved the conversation. */
  satisfaction: { score: number; comment: string | null; agentName: string | null; ratedAt: string } | null;
}

export interface Review {
  id: string;
  chatbotId: string;
  conversationId: string;
  messageId: string;
  question: string;
  answer: string;
  sources: Source[];
  comment: string | null;
  status: 'open' | 'resolved' | 'dismissed' | string;
  resolutionEntryId: string | null;
  createdAt: string;
  resolvedAt: string | null;
}

/** A visitor's wording a thumbs-up suggested as another way to ask a knowledge entry. */
export interface Paraphrase {
  id: string;
  chatbotId: string;
  conversationId: string;
  messageId: string;
  question: string;
  entry: { id: string; title: string };
  status: 'suggested' | 'approved' | 'dismissed';
  createdAt: string;
  decidedAt: string | null;
}

export interface StatsDay {
  date: string;
  conversations: number;
  leads: number;
  escalations: number;
  ratingsUp: number;
  ratingsDown: number;
}

export interface ModelStatsDay {
  date: string;
  calls: number;
  answered: number;
  declined: number;
  failures: number;
  /** Turns kept from the model because the daily token limit was reached. */
  skipped: number;
  tokens: number;
}

export interface Stats {
  since: string;
  days: StatsDay[];
  totals: Omit<StatsDay, 'date'>;
  model: { days: ModelStatsDay[]; totals: Omit<ModelStatsDay, 'date'> };
  /** Visitors' 1–5 ratings of conversations a person resolved, rated in the period. */
  satisfaction: { count: number; average: number | null };
}

// ---- Webhooks (Settings → Webhooks)

export type SigningMode = 'hmac-sha256' | 'shared-secret';
export type BodyFormat = 'json' | 'form';
export type PresetId = 'hubspot' | 'salesforce' | 'pipedrive' | 'generic';

/** One mapped value: a source path, a `{{…}}` template, a constant, or (advanced) nested objects/arrays. */
export type MappingValue =
  | string
  | { const: string | number | boolean | null }
  | { object: Record<string, MappingValue> }
  | { array: MappingValue[] };
export type EventMapping = Record<string, MappingValue>;
export type Mappings = Record<string, EventMapping>;

export interface WebhookHealth {
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  failingSince: string | null;
  /** Unfinished deliveries (queued or retrying). */
  pending: number;
  /** Those of them that failed at least once and wait for their next attempt (webhooks only). */
  retrying?: number;
}

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  chatbotId: string | null;
  signingMode: SigningMode;
  mappings: Mappings;
  headers: Record<string, string>;
  bodyFormat: BodyFormat;
  preset: PresetId | null;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  secretHint: string;
  previousSecretExpiresAt: string | null;
  health: WebhookHealth;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookInput {
  url: string;
  events: string[];
  chatbotId?: string | null;
  signingMode?: SigningMode;
  secret?: string;
  mappings?: Mappings;
  headers?: Record<string, string>;
  bodyFormat?: BodyFormat;
  preset?: PresetId | null;
  enabled?: boolean;
}

export interface WebhookPreset {
  id: PresetId;
  name: string;
  /** The URL to fill in; `<…>` parts are the customer's own ids. */
  urlTemplate: string;
  bodyFormat: BodyFormat;
  events: string[];
  mappings: Mappings;
  headers: Record<string, string>;
  instructions: string;
}

export interface TestResult {
  deliveryId: string;
  status: 'succeeded' | 'retrying' | 'failed';
  statusCode: number | null;
  latencyMs: number | null;
  error: string | null;
  responseExcerpt: string | null;
}

export interface PreviewResult {
  payload: Record<string, unknown>;
  body: string;
  contentType: string;
  fromEventId: string | null;
}

export type DeliveryStatus = 'pending' | 'retrying' | 'succeeded' | 'failed';

export interface Delivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus | string;
  attempts: number;
  lastStatusCode: number | null;
  lastError?: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  completedAt?: string | null;
}

/** `POST /api/portal/webhooks/:id/retry-now`: unfinished deliveries made due now; ones a worker is sending are left alone. */
export interface RetryNowResult {
  scheduled: number;
  inFlight: number;
}

/** `POST /api/portal/webhooks/:id/recover`: failed ones queued again plus retrying ones made due now. */
export interface RecoverResult {
  requeued: number;
  failed: number;
  retrying: number;
  inFlight: number;
}

export interface DeliveryAttempt {
  attemptNumber: number;
  startedAt: string;
  statusCode: number | null;
  latencyMs: number | null;
  outcome: string;
  error: string | null;
  responseExcerpt: string | null;
  requestHeaders?: Record<string, string>;
}

/** `GET /api/portal/deliveries/:id`: the delivery with every attempt (there `attempts` is the list, not a count). */
export interface DeliveryDetail extends Omit<Delivery, 'attempts'> {
  attempts: DeliveryAttempt[];
  requestBody: string | null;
  contentType?: string;
  event?: { id: string; type: string; createdAt: string };
}

/** `GET /api/portal/account/plan`: the account's standing and how it continues after the trial. */
export interface Plan {
  customer: Customer;
  /** The payment provider wired into the server, or null (today: none; the operator activates accounts). */
  paymentProvider: string | null;
  activateCommand: string;
}

/** One spreadsheet column: its header in row 1 and its value in the webhook mapping language. */
export interface SheetColumn {
  header: string;
  value: MappingValue;
}

/** `GET /api/portal/integrations/sheets/:id`: a Google Sheets destination (never its private key). */
export interface SheetsDestination {
  id: string;
  spreadsheetId: string;
  spreadsheetUrl: string;
  tabName: string;
  events: string[];
  chatbotId: string | null;
  columns: SheetColumn[];
  /** Row 1: the fixed columns, then `columns`. */
  header: string[];
  serviceAccountEmail: string;
  privateKeyId: string | null;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  health: WebhookHealth;
  createdAt: string;
  updatedAt: string;
}

/** "Test connection": what Google said, in plain words. */
export interface SheetsConnectionReport {
  ok: boolean;
  serviceAccountEmail: string;
  spreadsheetTitle: string | null;
  tabs: string[];
  problems: string[];
  notes: string[];
}
