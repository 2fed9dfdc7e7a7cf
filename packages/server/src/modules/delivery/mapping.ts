import { EVENT_TYPES, type EventType } from '@fc/contracts';
import { AppError } from '../../lib/errors.js';
import type { FieldError } from '../../lib/errors.js';
import { toWireTime } from '../../lib/time.js';
import { evaluateTemplate, isTemplate, parseTemplate, TemplateSyntaxError } from './mapping-template.js';
import type { ParsedTemplate } from './mapping-template.js';

/**
 * Field mappings (contract sections 4 and 6): which keys a webhook receives, computed from the event
 * context. Validation and rendering share one compiler, so a mapping that rendered once always renders.
 */

// ---------------------------------------------------------------------------------------------------------
// Event types and the event context (what an outbox event's payload holds)

// One list of event types for the whole product: the wire contract's.
export { EVENT_TYPES };
export type { EventType };

/** True when `value` is one of our event types. */
export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

export interface CustomerContext { id: string; name: string | null }
export interface ChatbotContext { id: string; name: string }
export interface ConversationContext {
  id: string;
  intent: string | null;
  /** Stored ISO timestamp; the `date` filter turns it into other formats. */
  startedAt: string;
  messageCount: number;
  firstMessage: string | null;
  /** One line per message, oldest first, prefixed `Visitor: `, `Bot: ` or `Agent: `. */
  transcript: readonly string[];
  summary: string | null;
}
export interface VisitorContext { id: string; pageUrl: string | null; referrer: string | null; locale: string | null }
export interface LeadContext { id: string; name: string | null; email: string | null; phone: string | null; intent: string | null }
export interface EscalationContext { id: string; reason: string; lastMessage: string | null }
/** `message.rated` only: the rating and the visitor question / bot answer it is about. */
export interface RatingContext { rating: 'up' | 'down'; comment: string | null; question: string | null; answer: string | null }
/** `conversation.rated` only: the visitor's 1–5 score after a person resolved the conversation, and that person's public name. */
export interface SatisfactionContext { score: number; comment: string | null; agentName: string | null }

/**
 * The payload of an outbox event: a snapshot taken in the transaction that wrote the event, so a delivery
 * retried days later still sends what was true when it happened. Objects that do not apply to an event
 * type are absent or null and map to null.
 */
export interface EventContext {
  customer: CustomerContext;
  chatbot: ChatbotContext;
  conversation?: ConversationContext | null;
  visitor?: VisitorContext | null;
  lead?: LeadContext | null;
  escalation?: EscalationContext | null;
  rating?: RatingContext | null;
  satisfaction?: SatisfactionContext | null;
}

/**
 * Whitelisted source paths. Contract section 6 lists all but `rating.*` and `satisfaction.*`, which we add for
 * `message.rated` and `conversation.rated` (and for `webhook.test` / `"*"` mappings, where they render null on other events).
 */
export const SOURCE_PATHS = {
  lead: ['id', 'name', 'email', 'phone', 'intent'],
  chatbot: ['id', 'name'],
  conversation: ['id', 'intent', 'startedAt', 'messageCount', 'firstMessage', 'transcript', 'summary'],
  visitor: ['id', 'pageUrl', 'referrer', 'locale'],
  escalation: ['id', 'reason', 'lastMessage'],
  customer: ['id', 'name'],
  rating: ['rating', 'comment', 'question', 'answer'],
  satisfaction: ['score', 'comment', 'agentName'],
} as const satisfies Record<string, readonly string[]>;

const RATING_EVENT_KEYS: readonly string[] = ['message.rated', 'webhook.test', '*'];
const SATISFACTION_EVENT_KEYS: readonly string[] = ['conversation.rated', 'webhook.test', '*'];

// ---------------------------------------------------------------------------------------------------------
// Mapping shapes and bounds

/**
 * One mapped value: a source path (`"lead.email"`), a template (`"{{lead.name}} via {{chatbot.name}}"`),
 * a constant (`{"const": "website"}`), or — for receivers that want structure — a nested object
 * (`{"object": {…}}`) or array (`{"array": […]}`) of mapped values.
 */
export type MappingValue =
  | string
  | { const: unknown }
  | { object: { [key: string]: MappingValue } }
  | { array: MappingValue[] };

export type EventMapping = { [outputKey: string]: MappingValue };
/** Keyed by event type or `"*"` (applies to every event type). */
export type Mappings = Partial<Record<EventType | '*', EventMapping>>;

export const MAPPING_MAX_KEYS = 50;
export const MAPPING_MAX_KEY_CHARS = 100;
export const MAPPING_MAX_TEMPLATE_CHARS = 2_000;
export const MAPPING_MAX_CONST_CHARS = 4_000;
export const MAPPING_MAX_DEPTH = 4;
export const MAPPING_MAX_NODES = 1_000;

export const ENVELOPE_KEYS = ['eventType', 'eventTimestamp', 'eventId', 'customerId', 'chatbotId', 'conversationId'] as const;
export type EnvelopeKey = (typeof ENVELOPE_KEYS)[number];
const ENVELOPE_KEYS_LOWER = new Set(ENVELOPE_KEYS.map((key) => key.toLowerCase()));
// Keys that would reach Object.prototype when a receiver (or we) assign them onto a plain object.
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const PATH_SHAPE = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/;

// ---------------------------------------------------------------------------------------------------------
// Compiler

type CompiledValue =
  | { kind: 'path'; path: readonly string[] }
  | { kind: 'template'; template: ParsedTemplate }
  | { kind: 'const'; value: unknown }
  | { kind: 'object'; entries: ReadonlyArray<readonly [string, CompiledValue]> }
  | { kind: 'array'; items: readonly CompiledValue[] };

interface CompileState {
  errors: FieldError[];
  nodes: number;
  eventKey: string;
}

function fieldName(segments: readonly (string | number)[]): string {
  return segments.map((segment, index) => (index === 0 ? String(segment) : `[${JSON.stringify(segment)}]`)).join('');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function checkSourcePath(path: string, eventKey: string): string | null {
  const segments = path.split('.');
  if (segments.some((segment) => PROTOTYPE_KEYS.has(segment))) return `"${path}" is not allowed`;
  const [object, field, ...rest] = segments as [string, string | undefined, ...string[]];
  const fields = (SOURCE_PATHS as Record<string, readonly string[]>)[object];
  if (!Object.hasOwn(SOURCE_PATHS, object) || fields === undefined) {
    return `"${path}" is not a source path; paths start with ${Object.keys(SOURCE_PATHS).join(', ')}`;
  }
  if (field === undefined || rest.length > 0 || !fields.includes(field)) {
    return `"${path}" is not a source path; ${object} has ${fields.map((name) => `${object}.${name}`).join(', ')}`;
  }
  if (object === 'rating' && !RATING_EVENT_KEYS.includes(eventKey)) return `"${path}" is only available for message.rated events`;
  if (object === 'satisfaction' && !SATISFACTION_EVENT_KEYS.includes(eventKey)) return `"${path}" is only available for conversation.rated events`;
  return null;
}

function checkOutputKey(key: string, topLevel: boolean): string | null {
  if (key.trim() === '') return 'output keys must not be empty';
  if (key.length > MAPPING_MAX_KEY_CHARS) return `output keys must be at most ${MAPPING_MAX_KEY_CHARS} characters`;
  if (CONTROL_CHARS.test(key)) return 'output keys must not contain control characters';
  if (PROTOTYPE_KEYS.has(key)) return `"${key}" cannot be used as an output key`;
  if (topLevel && ENVELOPE_KEYS_LOWER.has(key.toLowerCase())) {
    return `"${key}" is an envelope key, always sent by FusionChatalyst, and cannot be mapped`;
  }
  return null;
}

function checkConst(value: unknown, depth = 0): string | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : 'constants must be finite numbers';
  if (depth > MAPPING_MAX_DEPTH) return `constants may nest at most ${MAPPING_MAX_DEPTH} levels`;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = checkConst(item, depth + 1);
      if (problem !== null) return problem;
    }
    return null;
  }
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (PROTOTYPE_KEYS.has(key)) return `"${key}" cannot be used as a key`;
      const problem = checkConst(item, depth + 1);
      if (problem !== null) return problem;
    }
    return null;
  }
  return 'constants must be JSON values';
}

const SHAPE_HINT = 'must be a source path such as "lead.email", a "{{…}}" template, {"const": …}, {"object": {…}} or {"array": […]}';

function compileValue(value: unknown, field: readonly (string | number)[], depth: number, state: CompileState): CompiledValue | null {
  state.nodes += 1;
  if (state.nodes === MAPPING_MAX_NODES + 1) {
    state.errors.push({ field: fieldName(field), message: `mappings may hold at most ${MAPPING_MAX_NODES} values in all` });
  }
  if (state.nodes > MAPPING_MAX_NODES) return null;
  const fail = (message: string): null => {
    state.errors.push({ field: fieldName(field), message });
    return null;
  };
  if (typeof value === 'string') {
    if (value.length > MAPPING_MAX_TEMPLATE_CHARS) return fail(`must be at most ${MAPPING_MAX_TEMPLATE_CHARS} characters`);
    if (isTemplate(value)) {
      try {
        return { kind: 'template', template: parseTemplate(value, (path) => checkSourcePath(path, state.eventKey)) };
      } catch (error) {
        if (error instanceof TemplateSyntaxError) return fail(`template: ${error.message}`);
        throw error;
      }
    }
    const path = value.trim();
    if (!PATH_SHAPE.test(path)) {
      return fail(`"${value}" is not a source path; use {"const": ${JSON.stringify(value)}} for fixed text or "{{…}}" for a template`);
    }
    const problem = checkSourcePath(path, state.eventKey);
    return problem === null ? { kind: 'path', path: path.split('.') } : fail(problem);
  }
  if (!isPlainObject(value)) return fail(SHAPE_HINT);
  const keys = Object.keys(value);
  if (keys.length !== 1) return fail(SHAPE_HINT);
  if (Object.hasOwn(value, 'const')) {
    const problem = checkConst(value.const);
    if (problem !== null) return fail(problem);
    if (JSON.stringify(value.const).length > MAPPING_MAX_CONST_CHARS) return fail(`constants must be at most ${MAPPING_MAX_CONST_CHARS} characters of JSON`);
    return { kind: 'const', value: value.const };
  }
  if (depth >= MAPPING_MAX_DEPTH && (Object.hasOwn(value, 'object') || Object.hasOwn(value, 'array'))) {
    return fail(`mappings may nest at most ${MAPPING_MAX_DEPTH} levels`);
  }
  if (Object.hasOwn(value, 'object')) {
    const entries = compileObject(value.object, field, depth + 1, state, false);
    return entries === null ? null : { kind: 'object', entries };
  }
  if (Object.hasOwn(value, 'array')) {
    const items = value.array;
    if (!Array.isArray(items)) return fail('"array" must hold a list of mapped values');
    if (items.length > MAPPING_MAX_KEYS) return fail(`arrays may hold at most ${MAPPING_MAX_KEYS} items`);
    const compiled = items.map((item, index) => compileValue(item, [...field, index], depth + 1, state));
    return compiled.every((item) => item !== null) ? { kind: 'array', items: compiled as CompiledValue[] } : null;
  }
  return fail(SHAPE_HINT);
}

function compileObject(
  value: unknown,
  field: readonly (string | number)[],
  depth: number,
  state: CompileState,
  topLevel: boolean,
): Array<readonly [string, CompiledValue]> | null {
  if (!isPlainObject(value)) {
    state.errors.push({ field: fieldName(field), message: 'must be an object of output key → mapped value' });
    return null;
  }
  const keys = Object.keys(value);
  if (keys.length > MAPPING_MAX_KEYS) {
    state.errors.push({ field: fieldName(field), message: `may map at most ${MAPPING_MAX_KEYS} keys` });
    return null;
  }
  const entries: Array<readonly [string, CompiledValue]> = [];
  let ok = true;
  for (const key of keys) {
    const keyProblem = checkOutputKey(key, topLevel);
    if (keyProblem !== null) {
      state.errors.push({ field: fieldName([...field, key]), message: keyProblem });
      ok = false;
      continue;
    }
    const compiled = compileValue(value[key], [...field, key], depth, state);
    if (compiled === null) ok = false;
    else entries.push([key, compiled]);
  }
  return ok ? entries : null;
}

function compileEventMapping(mapping: unknown, eventKey: string, errors: FieldError[]): Array<readonly [string, CompiledValue]> | null {
  return compileObject(mapping, ['mappings', eventKey], 0, { errors, nodes: 0, eventKey }, true);
}

function normalizeValue(compiled: CompiledValue, original: MappingValue): MappingValue {
  switch (compiled.kind) {
    case 'path':
      return compiled.path.join('.');
    case 'template':
      return original;
    case 'const':
      return { const: JSON.parse(JSON.stringify(compiled.value)) as unknown };
    case 'object': {
      const source = (original as { object: Record<string, MappingValue> }).object;
      return { object: Object.fromEntries(compiled.entries.map(([key, value]) => [key, normalizeValue(value, source[key] as MappingValue)])) };
    }
    case 'array': {
      const source = (original as { array: MappingValue[] }).array;
      return { array: compiled.items.map((item, index) => normalizeValue(item, source[index] as MappingValue)) };
    }
  }
}

/**
 * Validates customer-supplied mappings (keyed by event type or `"*"`); returns them normalised (paths
 * trimmed, constants deep-copied) or throws `validation_failed` with one field error per bad key.
 */
export function validateMappings(input: unknown): Mappings {
  if (!isPlainObject(input)) {
    throw new AppError('validation_failed', 'Mappings are not valid', [
      { field: 'mappings', message: 'must be an object keyed by event type or "*"' },
    ]);
  }
  const errors: FieldError[] = [];
  const result: Mappings = {};
  for (const eventKey of Object.keys(input)) {
    if (eventKey !== '*' && !isEventType(eventKey)) {
      errors.push({ field: fieldName(['mappings', eventKey]), message: `"${eventKey}" is not an event type; use one of ${EVENT_TYPES.join(', ')} or "*"` });
      continue;
    }
    const mapping = input[eventKey];
    const entries = compileEventMapping(mapping, eventKey, errors);
    if (entries === null) continue;
    const source = mapping as EventMapping;
    result[eventKey] = Object.fromEntries(entries.map(([key, compiled]) => [key, normalizeValue(compiled, source[key] as MappingValue)]));
  }
  if (errors.length > 0) throw new AppError('validation_failed', 'Mappings are not valid', errors);
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Defaults

const CHATBOT_NAME = 'chatbot.name';
const LEAD_FIELDS: EventMapping = { name: 'lead.name', email: 'lead.email', phone: 'lead.phone' };

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

/**
 * Mappings a new webhook starts with. `lead.captured` reproduces the product page's example exactly, and
 * `lead.updated` has the same keys so one receiver handles both; the others follow contract section 4. The
 * transcript is sent as one text block, a line per message.
 */
export const DEFAULT_MAPPINGS: Readonly<Record<EventType, Readonly<EventMapping>>> = deepFreeze({
  'lead.captured': { ...LEAD_FIELDS, chatbot_name: CHATBOT_NAME, intent: 'lead.intent' },
  'lead.updated': { ...LEAD_FIELDS, chatbot_name: CHATBOT_NAME, intent: 'lead.intent' },
  'escalation.created': { ...LEAD_FIELDS, chatbot_name: CHATBOT_NAME, reason: 'escalation.reason', last_message: 'escalation.lastMessage' },
  'escalation.resolved': { ...LEAD_FIELDS, chatbot_name: CHATBOT_NAME, reason: 'escalation.reason', last_message: 'escalation.lastMessage' },
  'conversation.started': { chatbot_name: CHATBOT_NAME, first_message: 'conversation.firstMessage', page_url: 'visitor.pageUrl' },
  'conversation.ended': {
    chatbot_name: CHATBOT_NAME,
    intent: 'conversation.intent',
    message_count: 'conversation.messageCount',
    transcript: '{{conversation.transcript | join:"\\n"}}',
  },
  'message.rated': { chatbot_name: CHATBOT_NAME, rating: 'rating.rating', comment: 'rating.comment', question: 'rating.question', answer: 'rating.answer' },
  'conversation.rated': { ...LEAD_FIELDS, chatbot_name: CHATBOT_NAME, score: 'satisfaction.score', comment: 'satisfaction.comment', agent_name: 'satisfaction.agentName' },
  // A test must look like real traffic so receivers (and Zapier's field picker) can be wired up with it.
  'webhook.test': {
    test: { const: true },
    message: { const: 'Test delivery from FusionChatalyst. Real events carry the keys you mapped for them.' },
    ...LEAD_FIELDS,
    chatbot_name: CHATBOT_NAME,
    intent: 'lead.intent',
  },
});

/**
 * The mapping that applies to one event: the event type's own entry laid over `"*"`; only `"*"` when the
 * type has no entry; the defaults when neither exists (or no mappings were stored at all).
 */
export function resolveEventMapping(eventType: EventType, mappings: Mappings | null | undefined): EventMapping {
  const specific = mappings?.[eventType];
  const common = mappings?.['*'];
  if (specific === undefined && common === undefined) return DEFAULT_MAPPINGS[eventType];
  return { ...common, ...specific };
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

function readPath(context: EventContext, path: readonly string[]): unknown {
  let current: unknown = context;
  for (const segment of path) {
    // Own properties only: a path can never walk into a prototype, whatever the context holds.
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return null;
    current = (current as Record<string, unknown>)[segment];
  }
  return current === undefined ? null : current;
}

function renderValue(compiled: CompiledValue, context: EventContext): unknown {
  switch (compiled.kind) {
    case 'path':
      return readPath(context, compiled.path);
    case 'template':
      return evaluateTemplate(compiled.template, (path) => readPath(context, path));
    case 'const':
      return structuredClone(compiled.value);
    case 'object': {
      const result: Record<string, unknown> = {};
      for (const [key, value] of compiled.entries) result[key] = renderValue(value, context);
      return result;
    }
    case 'array':
      return compiled.items.map((item) => renderValue(item, context));
  }
}

/**
 * Renders the mapped keys of one event (without the envelope). Missing source values render as null so
 * every delivery of a webhook has the same keys. Throws `validation_failed` if stored mappings are invalid.
 */
export function renderPayload(eventType: EventType, context: EventContext, mappings: Mappings | null | undefined): Record<string, unknown> {
  const mapping = resolveEventMapping(eventType, mappings);
  const errors: FieldError[] = [];
  // Checked as "*": a stored "*" mapping may name rating.* and must still render (as null) on other events.
  const entries = compileEventMapping(mapping, '*', errors);
  if (entries === null) throw new AppError('validation_failed', 'Stored mappings are not valid', errors);
  const result: Record<string, unknown> = {};
  for (const [key, compiled] of entries) result[key] = renderValue(compiled, context);
  return result;
}

export interface EnvelopeMeta {
  eventType: EventType;
  eventId: string;
  /** When the event happened: a stored ISO timestamp, a Date or epoch milliseconds. */
  occurredAt: string | Date | number;
  customerId: string;
  chatbotId: string;
  conversationId: string | null;
}

/** Adds the envelope keys to a rendered payload; envelope keys always win and come last, as on the product page. */
export function buildEnvelope(payload: Record<string, unknown>, meta: EnvelopeMeta): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload)) {
    if (!(ENVELOPE_KEYS as readonly string[]).includes(key)) result[key] = value;
  }
  const envelope: Record<EnvelopeKey, unknown> = {
    eventType: meta.eventType,
    eventTimestamp: toWireTime(new Date(meta.occurredAt).toISOString()),
    eventId: meta.eventId,
    customerId: meta.customerId,
    chatbotId: meta.chatbotId,
    conversationId: meta.conversationId,
  };
  return Object.assign(result, envelope);
}

// ---------------------------------------------------------------------------------------------------------
// Body encoding

export type BodyFormat = 'json' | 'form';
export const BODY_FORMATS: readonly BodyFormat[] = ['json', 'form'];

export interface EncodedBody {
  contentType: string;
  body: string;
}

function toFormValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Serialises a payload as JSON or as `application/x-www-form-urlencoded` (nested values as JSON text, null as ""). */
export function encodeBody(payload: Record<string, unknown>, format: BodyFormat): EncodedBody {
  if (format === 'form') {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(payload)) params.append(key, toFormValue(value));
    return { contentType: 'application/x-www-form-urlencoded', body: params.toString() };
  }
  return { contentType: 'application/json', body: JSON.stringify(payload) };
}

// ---------------------------------------------------------------------------------------------------------
// Sample context for "Send test" and the portal's live preview

export interface SampleContextInput {
  customer?: CustomerContext;
  chatbot?: ChatbotContext;
  now?: Date;
}

/** A realistic event context (the product page's Jane Smith example) for test deliveries and mapping previews. */
export function buildSampleEventContext(input: SampleContextInput = {}): EventContext {
  const now = input.now ?? new Date();
  const chatbot = input.chatbot ?? { id: 'bot_sampleChatbot', name: 'Acme Plumbing Bot' };
  return {
    customer: input.customer ?? { id: 'cus_sampleCustomer', name: 'Acme Plumbing' },
    chatbot,
    conversation: {
      id: 'conv_sampleConversation',
      intent: 'request_quote',
      startedAt: new Date(now.getTime() - 120_000).toISOString(),
      messageCount: 4,
      firstMessage: 'Hi, can I get a quote for a new water heater?',
      transcript: [
        'Visitor: Hi, can I get a quote for a new water heater?',
        `Bot: Happy to help! What is your name, email and phone number?`,
        'Visitor: Jane Smith, jane@example.com, 555-555-0123',
        'Bot: Thanks Jane, someone will be in touch shortly.',
      ],
      summary: 'Jane Smith asked for a quote for a new water heater.',
    },
    visitor: { id: 'vis_sampleVisitor', pageUrl: 'https://www.example.com/water-heaters', referrer: 'https://www.google.com/', locale: 'en-US' },
    lead: { id: 'lead_sampleLead', name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', intent: 'request_quote' },
    escalation: { id: 'esc_sampleEscalation', reason: 'visitor_requested_human', lastMessage: 'Can I talk to a person?' },
    rating: {
      rating: 'up',
      comment: 'Very helpful',
      question: 'Do you install tankless water heaters?',
      answer: 'Yes, we install and service tankless water heaters from all major brands.',
    },
    satisfaction: { score: 5, comment: 'Marisol sorted it out in minutes.', agentName: 'Marisol' },
  };
}
