import type { BusinessHours, Chatbot, ChatbotSettings, LeadField, OpeningInterval, Weekday } from '../api/types';

/**
 * The chatbot settings form edits lists as text (one item per line) and the LLM key as write-only; these
 * two functions convert between that form and the API's settings object.
 */

/** Intents the built-in engine detects (server: modules/chat/engine/intents.ts); custom ones are added per chatbot. */
export const LEAD_INTENT_CHOICES = ['request_quote', 'book_appointment', 'pricing', 'hours', 'location', 'general_question', 'complaint', 'talk_to_human'] as const;
// The order the bot asks in (the server's default order).
export const LEAD_FIELDS: LeadField[] = ['name', 'phone', 'email'];

export interface CustomIntentRow { name: string; examples: string; captureLead: boolean }

/** Monday first, as a business owner reads a week; the API's `day` values. */
export const WEEK: { day: Weekday; label: string }[] = [
  { day: 'mon', label: 'Monday' }, { day: 'tue', label: 'Tuesday' }, { day: 'wed', label: 'Wednesday' }, { day: 'thu', label: 'Thursday' },
  { day: 'fri', label: 'Friday' }, { day: 'sat', label: 'Saturday' }, { day: 'sun', label: 'Sunday' },
];

/**
 * One row per weekday: its first opening interval, or closed. Further intervals of a split day (the API allows
 * several) have no inputs here; they are kept in `more` and sent back unchanged.
 */
export interface BusinessDayRow { day: Weekday; isClosed: boolean; open: string; close: string; more: OpeningInterval[] }

const DEFAULT_OPEN = '09:00';
const DEFAULT_CLOSE = '17:00';
// `<input type="time">` cannot hold 24:00, so midnight closing is edited as 00:00 (a close before the open
// is otherwise meaningless).
const MIDNIGHT_CLOSE = '24:00';
const MIDNIGHT_INPUT = '00:00';

export interface SettingsFormValues {
  name: string;
  greeting: string;
  description: string;
  locale: string;
  widgetLanguage: ChatbotSettings['widgetLanguage'];
  defaultPhoneRegion: string;
  allowedOrigins: string;
  quickReplies: string;
  leadCapture: { enabled: boolean; fields: LeadField[]; requiredFields: LeadField[]; intents: string[] };
  escalation: ChatbotSettings['escalation'] & { keywordsText: string };
  rateLimit: { perVisitorPerMinute: number; perIpPerMinute: number };
  idleMinutesBeforeEnded: number;
  customIntents: CustomIntentRow[];
  llmEnabled: boolean;
  llm: { baseUrl: string; model: string; timeoutMs: number; apiKey: string; clearApiKey: boolean; mode: 'understand' | 'phrase'; dailyTokenLimit: number; embeddingsModel: string };
  businessHours: { enabled: boolean; timezone: string; days: BusinessDayRow[] };
}

const DEFAULT_LLM_TIMEOUT_MS = 15_000;
/** The server's default daily token limit for a chatbot's model (chat.service.ts). */
const DEFAULT_DAILY_TOKEN_LIMIT = 200_000;

/** Splits "one per line" (or comma-separated) text into trimmed, non-empty, unique items. */
export function splitLines(text: string, { commas = false } = {}): string[] {
  const parts = text.split(commas ? /[\n,]/ : /\n/).map((part) => part.trim()).filter((part) => part !== '');
  return [...new Set(parts)];
}

/** Business hours as one row per weekday (Monday first). */
export function toBusinessHoursForm(hours: BusinessHours): SettingsFormValues['businessHours'] {
  return {
    enabled: hours.enabled,
    timezone: hours.timezone,
    days: WEEK.map(({ day }) => {
      const [first, ...more] = hours.weekly.filter((interval) => interval.day === day);
      return first
        ? { day, isClosed: false, open: first.open, close: first.close === MIDNIGHT_CLOSE ? MIDNIGHT_INPUT : first.close, more }
        : { day, isClosed: true, open: DEFAULT_OPEN, close: DEFAULT_CLOSE, more: [] };
    }),
  };
}

/** The API's business hours for the form's rows: closed days have no interval. */
export function toBusinessHours(form: SettingsFormValues['businessHours']): BusinessHours {
  return {
    enabled: form.enabled,
    timezone: form.timezone,
    weekly: form.days.flatMap((row) => (row.isClosed ? [] : [
      { day: row.day, open: row.open, close: row.close === MIDNIGHT_INPUT ? MIDNIGHT_CLOSE : row.close },
      ...row.more,
    ])),
  };
}

/** The form's starting values for a chatbot. */
export function toFormValues(chatbot: Chatbot): SettingsFormValues {
  const s = chatbot.settings;
  return {
    name: chatbot.name,
    greeting: s.greeting,
    description: s.description ?? '',
    locale: s.locale,
    widgetLanguage: s.widgetLanguage,
    defaultPhoneRegion: s.defaultPhoneRegion,
    allowedOrigins: s.allowedOrigins.join('\n'),
    quickReplies: s.quickReplies.join('\n'),
    leadCapture: { ...s.leadCapture, fields: [...s.leadCapture.fields], requiredFields: [...s.leadCapture.requiredFields], intents: [...s.leadCapture.intents] },
    escalation: { ...s.escalation, keywordsText: s.escalation.keywords.join(', ') },
    rateLimit: { ...s.rateLimit },
    idleMinutesBeforeEnded: s.idleMinutesBeforeEnded,
    customIntents: s.intents.map((intent) => ({ name: intent.name, examples: intent.examples.join('\n'), captureLead: intent.captureLead })),
    llmEnabled: s.llm !== null,
    llm: {
      baseUrl: s.llm?.baseUrl ?? '', model: s.llm?.model ?? '', timeoutMs: s.llm?.timeoutMs ?? DEFAULT_LLM_TIMEOUT_MS, apiKey: '', clearApiKey: false,
      mode: s.llm?.mode ?? 'understand', dailyTokenLimit: s.llm?.dailyTokenLimit ?? DEFAULT_DAILY_TOKEN_LIMIT, embeddingsModel: s.llm?.embeddingsModel ?? '',
    },
    businessHours: toBusinessHoursForm(s.businessHours),
  };
}

/** The PATCH body for the form's values: lists parsed, the LLM key sent only when typed (or cleared). */
export function toUpdateBody(values: SettingsFormValues): { name: string; settings: Record<string, unknown> } {
  const { keywordsText, ...escalation } = values.escalation;
  const llm = values.llmEnabled
    ? {
      baseUrl: values.llm.baseUrl.trim(),
      model: values.llm.model.trim(),
      timeoutMs: Number(values.llm.timeoutMs),
      mode: values.llm.mode,
      dailyTokenLimit: Number(values.llm.dailyTokenLimit),
      embeddingsModel: values.llm.embeddingsModel.trim() || null,
      ...(values.llm.apiKey.trim() !== '' ? { apiKey: values.llm.apiKey.trim() } : values.llm.clearApiKey ? { apiKey: null } : {}),
    }
    : null;
  return {
    name: values.name.trim(),
    settings: {
      greeting: values.greeting.trim(),
      description: values.description.trim(),
      locale: values.locale.trim(),
      widgetLanguage: values.widgetLanguage,
      defaultPhoneRegion: values.defaultPhoneRegion.trim().toUpperCase(),
      allowedOrigins: [...new Set(splitLines(values.allowedOrigins, { commas: true }).map((origin) => origin.replace(/\/+$/, '')))],
      quickReplies: splitLines(values.quickReplies),
      leadCapture: {
        enabled: values.leadCapture.enabled,
        fields: LEAD_FIELDS.filter((f) => values.leadCapture.fields.includes(f)),
        requiredFields: LEAD_FIELDS.filter((f) => values.leadCapture.requiredFields.includes(f) && values.leadCapture.fields.includes(f)),
        intents: [...new Set(values.leadCapture.intents)],
      },
      escalation: { ...escalation, maxFailedAnswers: Number(escalation.maxFailedAnswers), keywords: splitLines(keywordsText, { commas: true }) },
      rateLimit: { perVisitorPerMinute: Number(values.rateLimit.perVisitorPerMinute), perIpPerMinute: Number(values.rateLimit.perIpPerMinute) },
      idleMinutesBeforeEnded: Number(values.idleMinutesBeforeEnded),
      intents: values.customIntents
        .filter((row) => row.name.trim() !== '')
        .map((row) => ({ name: row.name.trim(), examples: splitLines(row.examples), captureLead: row.captureLead })),
      llm,
      businessHours: toBusinessHours(values.businessHours),
    },
  };
}

/** API field paths (`body.settings.rateLimit.perIpPerMinute`) → form field names (`rateLimit.perIpPerMinute`). */
export function toFormFieldName(apiField: string): string | null {
  if (apiField === 'body.name') return 'name';
  const path = apiField.replace(/^body\.settings\.?/, '');
  if (path === apiField) return null;
  const [head, ...rest] = path.split('.');
  switch (head) {
    case 'greeting': case 'description': case 'locale': case 'widgetLanguage': case 'defaultPhoneRegion': case 'allowedOrigins': case 'quickReplies': case 'idleMinutesBeforeEnded':
      return head;
    case 'leadCapture': case 'rateLimit':
      return rest[0] ? `${head}.${rest[0]}` : head;
    case 'escalation':
      return rest[0] === 'keywords' ? 'escalation.keywordsText' : rest[0] ? `escalation.${rest[0]}` : 'escalation';
    case 'intents':
      return rest[0] !== undefined ? `customIntents.${rest[0]}.${rest[1] === 'examples' ? 'examples' : 'name'}` : 'customIntents';
    case 'llm':
      return rest[0] ? `llm.${rest[0]}` : 'llm.baseUrl';
    // Weekly intervals do not line up with the form's day rows, so their errors show on the section.
    case 'businessHours':
      return rest[0] === 'timezone' ? 'businessHours.timezone' : 'businessHours.enabled';
    default:
      return null;
  }
}
