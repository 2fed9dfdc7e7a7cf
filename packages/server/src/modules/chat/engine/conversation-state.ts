import { LEAD_FIELDS, type ConversationState, type LeadField } from './engine.types.js';

/** A stored previous question longer than this is cut (it only gives a follow-up its topic). */
const MAX_LAST_QUESTION_CHARS = 500;

/** Returns the state of a conversation that has not started yet. */
export function createInitialState(): ConversationState {
  return {
    version: 1,
    turns: 0,
    intent: null,
    lead: { name: null, email: null, phone: null },
    awaitingField: null,
    declinedFields: [],
    askedCounts: {},
    escalated: false,
    failedAnswers: 0,
    leadAcknowledged: false,
  };
}

function isLeadField(value: unknown): value is LeadField {
  return typeof value === 'string' && (LEAD_FIELDS as readonly string[]).includes(value);
}

function readString(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** Reads a stored state defensively: unknown versions and damaged JSON fall back to sane defaults instead of failing the chat. */
export function restoreState(raw: unknown): ConversationState {
  const base = createInitialState();
  if (!raw || typeof raw !== 'object') return base;
  const stored = raw as Record<string, unknown>;
  const lead = (stored.lead && typeof stored.lead === 'object' ? stored.lead : {}) as Record<string, unknown>;
  const asked = (stored.askedCounts && typeof stored.askedCounts === 'object' ? stored.askedCounts : {}) as Record<string, unknown>;
  const askedCounts: ConversationState['askedCounts'] = {};
  for (const field of LEAD_FIELDS) {
    const count = asked[field];
    if (typeof count === 'number' && Number.isFinite(count)) askedCounts[field] = count;
  }
  const state: ConversationState = {
    version: 1,
    turns: typeof stored.turns === 'number' ? stored.turns : 0,
    intent: readString(stored.intent),
    lead: { name: readString(lead.name), email: readString(lead.email), phone: readString(lead.phone) },
    awaitingField: isLeadField(stored.awaitingField) ? stored.awaitingField : null,
    declinedFields: Array.isArray(stored.declinedFields) ? stored.declinedFields.filter(isLeadField) : [],
    askedCounts,
    escalated: stored.escalated === true,
    failedAnswers: typeof stored.failedAnswers === 'number' ? stored.failedAnswers : 0,
    leadAcknowledged: stored.leadAcknowledged === true,
  };
  if (typeof stored.lastBotText === 'string') state.lastBotText = stored.lastBotText;
  if (stored.intentGuessed === true) state.intentGuessed = true;
  if (typeof stored.leadIntentHint === 'string') state.leadIntentHint = stored.leadIntentHint.slice(0, 64);
  if (typeof stored.lastQuestion === 'string') state.lastQuestion = stored.lastQuestion.slice(0, MAX_LAST_QUESTION_CHARS);
  if (Array.isArray(stored.lastSourceIds)) state.lastSourceIds = stored.lastSourceIds.filter((id): id is string => typeof id === 'string');
  return state;
}
