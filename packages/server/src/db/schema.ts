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
  role: 'owner' | 'member';
  created_at: string;
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

export interface ApiKeysTable {
  id: string;
  customer_id: string;
  name: string;
  key_hash: string;
  key_prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

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
  created_at: string;
  updated_at: string;
}

export interface Database {
  customers: CustomersTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  chatbots: ChatbotsTable;
  knowledge_entries: KnowledgeEntriesTable;
}
