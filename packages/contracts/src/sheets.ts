import type { EventType } from './events.js';

/** Google Sheets destinations: which events a sheet can log, and what a new sheet starts with (contract section 5). */

/**
 * Events a sheet can log (a row per event). `lead.updated` adds a row with the changed lead; match it on the conversation.
 * `conversation.rated` adds a row per satisfaction rating (add a column `satisfaction.score`).
 */
export const SHEETS_EVENT_TYPES = ['lead.captured', 'lead.updated', 'escalation.created', 'conversation.rated'] as const satisfies readonly EventType[];
/** By default one row per lead and per escalation; later lead changes are opt-in. */
export const DEFAULT_SHEETS_EVENT_TYPES = ['lead.captured', 'escalation.created'] as const satisfies readonly (typeof SHEETS_EVENT_TYPES)[number][];

/** The columns a new sheet starts with: the lead, the escalation and where the conversation happened (source paths). */
export const DEFAULT_SHEET_COLUMNS: readonly { readonly header: string; readonly value: string }[] = Object.freeze([
  { header: 'Name', value: 'lead.name' },
  { header: 'Email', value: 'lead.email' },
  { header: 'Phone', value: 'lead.phone' },
  { header: 'Intent', value: 'conversation.intent' },
  { header: 'Chatbot', value: 'chatbot.name' },
  { header: 'Escalation reason', value: 'escalation.reason' },
  { header: 'Last message', value: 'escalation.lastMessage' },
  { header: 'Page', value: 'visitor.pageUrl' },
  { header: 'Conversation', value: 'conversation.id' },
]);
