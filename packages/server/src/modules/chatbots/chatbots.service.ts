import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Kysely, Selectable } from 'kysely';
import type { ChatbotsTable, Database } from '../../db/schema.js';
import { AppError, assertFound, type FieldError } from '../../lib/errors.js';
import { openSecret, sealSecret } from '../../lib/crypto.js';
import { checkWebhookUrl, type UrlGuardOptions } from '../delivery/url-guard.js';
import { newId } from '../../lib/ids.js';
import { decodeCursor, toPage } from '../../lib/pagination.js';
import { nowIso, toWireTime } from '../../lib/time.js';
import { DEFAULT_BUSINESS_HOURS, validateBusinessHours } from '../handoff/business-hours.js';
import { ChatbotSettings } from './chatbots.schemas.js';
import { isSameHost } from '../../lib/urls.js';

export type ChatbotRow = Selectable<ChatbotsTable>;

/**
 * Settings as stored: like the API's, but the LLM key sealed under FC_SECRET_KEY (AES-256-GCM, bound to the
 * chatbot) and only its last characters kept in clear, as a hint the portal can show.
 */
export type StoredSettings = Omit<ChatbotSettings, 'llm'> & {
  llm: (Omit<NonNullable<ChatbotSettings['llm']>, 'apiKey'> & { apiKeySealed: string | null; apiKeyHint?: string | null }) | null;
};

/** Keys shorter than this get no hint: four characters of a short key give too much of it away. */
const API_KEY_HINT_MIN_CHARS = 12;
const API_KEY_HINT_CHARS = 4;

export const DEFAULT_SETTINGS: ChatbotSettings = {
  greeting: 'Hi! How can I help you today?',
  description: '',
  defaultPhoneRegion: 'US',
  locale: 'en-US',
  widgetLanguage: 'locale',
  allowedOrigins: [],
  leadCapture: { enabled: true, fields: ['name', 'phone', 'email'], requiredFields: [], intents: ['request_quote', 'book_appointment'] },
  escalation: { enabled: true, onRequest: true, onAnger: true, onComplaint: true, onLegal: true, maxFailedAnswers: 2, keywords: [] },
  rateLimit: { perVisitorPerMinute: 20, perIpPerMinute: 60 },
  idleMinutesBeforeEnded: 30,
  intents: [],
  quickReplies: [],
  appearance: { title: 'Chat with us', color: '#2563eb', position: 'bottom-right', avatarUrl: null },
  businessHours: DEFAULT_BUSINESS_HOURS,
  llm: null,
};

const settingsChecker = TypeCompiler.Compile(ChatbotSettings);
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep-merges a partial settings object: objects merge key by key, arrays and scalars replace. */
export function mergeSettings(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (FORBIDDEN_KEYS.has(key)) continue;
    const current = merged[key];
    merged[key] = isPlainObject(value) && isPlainObject(current) ? mergeSettings(current, value) : value;
  }
  return merged;
}

function validateSettings(candidate: unknown): ChatbotSettings {
  if (settingsChecker.Check(candidate)) {
    const problems = validateBusinessHours(candidate.businessHours);
    if (problems.length > 0) throw new AppError('validation_failed', `Invalid settings: businessHours ${problems[0]}`, problems.map((message) => ({ field: 'body.settings.businessHours', message })));
    return candidate;
  }
  const errors: FieldError[] = [...settingsChecker.Errors(candidate)].slice(0, 20).map((error) => ({
    field: `body.settings${error.path.replaceAll('/', '.')}`,
    message: error.message,
  }));
  throw new AppError('validation_failed', `Invalid settings: ${errors[0]?.field ?? 'settings'} ${errors[0]?.message ?? ''}`.trim(), errors);
}

function sealContext(chatbotId: string): string {
  return `chatbot:${chatbotId}:llm`;
}

/** Parses a row's stored settings, filling defaults added since it was written. */
export function readStoredSettings(row: Pick<ChatbotRow, 'settings'>): StoredSettings {
  return mergeSettings(DEFAULT_SETTINGS as unknown as Record<string, unknown>, JSON.parse(row.settings) as Record<string, unknown>) as unknown as StoredSettings;
}

/** Distinct settings texts whose parsed form is kept (every chatbot has one; edits add a new text). */
const PARSED_SETTINGS_CACHE_MAX_ENTRIES = 1_000;
const parsedSettings = new Map<string, StoredSettings>();

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/**
 * `readStoredSettings` for the public chat path, which reads a chatbot's settings several times per turn
 * (rate limits, CORS, the turn itself) on every request. Keyed by the stored text, so an edit (a new text)
 * is seen at once, in every process. The object is shared and deep-frozen: a caller cannot change it.
 */
export function readCachedSettings(row: Pick<ChatbotRow, 'settings'>): StoredSettings {
  let settings = parsedSettings.get(row.settings);
  if (settings === undefined) {
    // Cloned first: mergeSettings shares DEFAULT_SETTINGS' nested objects, and those must not be frozen.
    settings = deepFreeze(structuredClone(readStoredSettings(row)));
    if (parsedSettings.size >= PARSED_SETTINGS_CACHE_MAX_ENTRIES) {
      const oldest = parsedSettings.keys().next().value;
      if (oldest !== undefined) parsedSettings.delete(oldest);
    }
    parsedSettings.set(row.settings, settings);
  }
  return settings;
}

/** The LLM API key in clear, for the chat engine only. */
export function revealLlmApiKey(secretKey: Buffer, chatbotId: string, settings: StoredSettings): string | null {
  const sealed = settings.llm?.apiKeySealed;
  return sealed ? openSecret(secretKey, sealed, sealContext(chatbotId)) : null;
}

function toApiKeyHint(apiKey: string): string | null {
  return apiKey.length >= API_KEY_HINT_MIN_CHARS ? `…${apiKey.slice(-API_KEY_HINT_CHARS)}` : null;
}

/**
 * Refuses an LLM base URL on a private, loopback, link-local or metadata address unless the server allows
 * private targets (FC_ALLOW_PRIVATE_WEBHOOK_TARGETS): the chat server calls it, so it is an SSRF vector
 * like a webhook URL. The LLM client checks again at connect time.
 */
export function assertLlmBaseUrlAllowed(patch: Record<string, unknown> | undefined, options: UrlGuardOptions): void {
  const llm = patch?.llm;
  if (!isPlainObject(llm) || typeof llm.baseUrl !== 'string') return;
  const check = checkWebhookUrl(llm.baseUrl, options);
  if (!check.ok) {
    throw new AppError('validation_failed', `The LLM base URL ${check.message}`, [{ field: 'body.settings.llm.baseUrl', message: check.message }]);
  }
}

function toApiSettings(stored: StoredSettings): Record<string, unknown> {
  if (!stored.llm) return { ...stored };
  const { apiKeySealed, apiKeyHint, ...llm } = stored.llm;
  return { ...stored, llm: { ...llm, apiKeySet: apiKeySealed !== null, apiKeyHint: apiKeySealed !== null ? (apiKeyHint ?? null) : null } };
}

function applySettingsPatch(secretKey: Buffer, chatbotId: string, stored: StoredSettings, patch: Record<string, unknown>): StoredSettings {
  const { llm: storedLlm, ...rest } = stored;
  const base: Record<string, unknown> = { ...rest, llm: storedLlm ? (({ apiKeySealed: _sealed, apiKeyHint: _hint, ...llm }) => llm)(storedLlm) : null };
  const patchLlm = patch.llm;
  const candidate = validateSettings(mergeSettings(base, patch));
  if (!candidate.llm) return { ...candidate, llm: null };
  const { apiKey, ...llm } = candidate.llm;
  const typedKey = isPlainObject(patchLlm) ? patchLlm.apiKey : undefined;
  let apiKeySealed = storedLlm?.apiKeySealed ?? null;
  let apiKeyHint = storedLlm?.apiKeyHint ?? null;
  if (typeof typedKey === 'string' && typedKey !== '') {
    apiKeySealed = sealSecret(secretKey, typedKey, sealContext(chatbotId));
    apiKeyHint = toApiKeyHint(typedKey);
  } else if (typedKey === null || apiKey === null || (storedLlm && !isSameHost(llm.baseUrl, storedLlm.baseUrl))) {
    // A stored key is bound to its provider: a new host gets it only if it is typed again in the same request.
    apiKeySealed = null;
    apiKeyHint = null;
  }
  return { ...candidate, llm: { ...llm, apiKeySealed, apiKeyHint } };
}

export interface ChatbotView {
  id: string; name: string; settings: Record<string, unknown>; knowledgeVersion: number; createdAt: string; updatedAt: string;
}

/** The chatbot as the portal API shows it. */
export function toChatbotView(row: ChatbotRow): ChatbotView {
  return {
    id: row.id, name: row.name, settings: toApiSettings(readStoredSettings(row)), knowledgeVersion: row.knowledge_version,
    createdAt: toWireTime(row.created_at), updatedAt: toWireTime(row.updated_at),
  };
}

/** Loads a chatbot of this customer or answers 404 (also for another customer's id). */
export async function getChatbot(db: Kysely<Database>, customerId: string, chatbotId: string): Promise<ChatbotRow> {
  const row = await db.selectFrom('chatbots').selectAll().where('customer_id', '=', customerId).where('id', '=', chatbotId).executeTakeFirst();
  return assertFound(row, 'Chatbot');
}

/** Lists the customer's chatbots, newest first. */
export async function listChatbots(db: Kysely<Database>, customerId: string, page: { limit: number; cursor?: string | undefined }): Promise<{ items: ChatbotView[]; nextCursor: string | null }> {
  const cursor = decodeCursor(page.cursor);
  let query = db.selectFrom('chatbots').selectAll().where('customer_id', '=', customerId);
  if (cursor) {
    query = query.where((eb) => eb.or([
      eb('created_at', '<', cursor.createdAt),
      eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '<', cursor.id)]),
    ]));
  }
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit + 1).execute();
  return toPage(rows, page.limit, toChatbotView);
}

/** Creates a chatbot with default settings merged under the ones given. */
export async function createChatbot(
  db: Kysely<Database>, secretKey: Buffer, customerId: string, input: { name: string; settings?: Record<string, unknown> | undefined },
  id = newId('bot'),
): Promise<ChatbotRow> {
  const defaults: StoredSettings = { ...DEFAULT_SETTINGS, llm: null };
  const settings = applySettingsPatch(secretKey, id, defaults, input.settings ?? {});
  const now = nowIso();
  const row: ChatbotRow = { id, customer_id: customerId, name: input.name.trim(), settings: JSON.stringify(settings), knowledge_version: 0, created_at: now, updated_at: now };
  await db.insertInto('chatbots').values(row).execute();
  return row;
}

/** Renames a chatbot and/or merges new settings over its current ones. */
export async function updateChatbot(
  db: Kysely<Database>, secretKey: Buffer, customerId: string, chatbotId: string,
  input: { name?: string | undefined; settings?: Record<string, unknown> | undefined },
): Promise<ChatbotRow> {
  const current = await getChatbot(db, customerId, chatbotId);
  const settings = input.settings ? applySettingsPatch(secretKey, chatbotId, readStoredSettings(current), input.settings) : readStoredSettings(current);
  const updated: ChatbotRow = { ...current, name: input.name?.trim() ?? current.name, settings: JSON.stringify(settings), updated_at: nowIso() };
  await db.updateTable('chatbots').set({ name: updated.name, settings: updated.settings, updated_at: updated.updated_at })
    .where('customer_id', '=', customerId).where('id', '=', chatbotId).execute();
  return updated;
}

/** Deletes a chatbot with its knowledge (conversations and leads go with it by cascade). */
export async function deleteChatbot(db: Kysely<Database>, customerId: string, chatbotId: string): Promise<void> {
  const result = await db.deleteFrom('chatbots').where('customer_id', '=', customerId).where('id', '=', chatbotId).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw new AppError('not_found', 'Chatbot not found');
}
