import type { EventMapping, Mappings, MappingValue } from '../api/types';

/**
 * The field-mapping editor shows one row per output key: target key ← source path, template, constant, or
 * (for CRM presets that need structure) raw JSON of a nested `{object}` / `{array}` value. These functions
 * convert between those rows and the API's mapping object (contract section 6) without losing anything.
 */

/** Source paths a mapping may read (contract section 6, plus `rating.*` for message.rated and `satisfaction.*` for conversation.rated). */
export const SOURCE_PATHS: Record<string, readonly string[]> = {
  lead: ['id', 'name', 'email', 'phone', 'intent'],
  chatbot: ['id', 'name'],
  conversation: ['id', 'intent', 'startedAt', 'messageCount', 'firstMessage', 'transcript', 'summary'],
  visitor: ['id', 'pageUrl', 'referrer', 'locale'],
  escalation: ['id', 'reason', 'lastMessage'],
  customer: ['id', 'name'],
  rating: ['rating', 'comment', 'question', 'answer'],
  satisfaction: ['score', 'comment', 'agentName'],
};
export const ALL_SOURCE_PATHS: string[] = Object.entries(SOURCE_PATHS).flatMap(([object, fields]) => fields.map((field) => `${object}.${field}`));
/** Objects only some events carry, and the event keys whose mappings may read them (the server refuses them elsewhere). */
const EVENT_ONLY_OBJECTS: Record<string, readonly string[]> = {
  rating: ['message.rated', 'webhook.test', '*'],
  satisfaction: ['conversation.rated', 'webhook.test', '*'],
};

/** Keys every delivery carries; mappings cannot set them. */
export const ENVELOPE_KEYS = ['eventType', 'eventTimestamp', 'eventId', 'customerId', 'chatbotId', 'conversationId'];

export type ConstType = 'string' | 'number' | 'boolean' | 'null';
export type RowKind = 'path' | 'template' | 'const' | 'json';

export interface MappingRow {
  key: string;
  kind: RowKind;
  /** Path, template text, constant as text, or JSON text. */
  value: string;
  constType: ConstType;
}

/** The source paths offered for one event key (rating.* and satisfaction.* only where the server allows them). */
export function sourcePathsFor(eventKey: string): string[] {
  return ALL_SOURCE_PATHS.filter((path) => EVENT_ONLY_OBJECTS[path.split('.')[0] ?? '']?.includes(eventKey) ?? true);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One stored mapped value → an editor row. */
export function valueToRow(key: string, value: MappingValue): MappingRow {
  if (typeof value === 'string') return { key, kind: value.includes('{{') ? 'template' : 'path', value, constType: 'string' };
  if (isRecord(value) && 'const' in value && Object.keys(value).length === 1) {
    const constant = value.const;
    if (constant === null) return { key, kind: 'const', value: '', constType: 'null' };
    if (typeof constant === 'number') return { key, kind: 'const', value: String(constant), constType: 'number' };
    if (typeof constant === 'boolean') return { key, kind: 'const', value: String(constant), constType: 'boolean' };
    if (typeof constant === 'string') return { key, kind: 'const', value: constant, constType: 'string' };
  }
  // Nested objects/arrays (or a structured constant) are edited as JSON.
  return { key, kind: 'json', value: JSON.stringify(value, null, 2), constType: 'string' };
}

/** A stored mapping → rows, in the stored key order. */
export function mappingToRows(mapping: EventMapping | undefined): MappingRow[] {
  return Object.entries(mapping ?? {}).map(([key, value]) => valueToRow(key, value));
}

export interface RowsResult {
  mapping: EventMapping;
  /** Problems by row index; the mapping is only sendable when this is empty. */
  errors: Record<number, string>;
}

function rowToValue(row: MappingRow, eventKey: string): { value?: MappingValue; error?: string } {
  switch (row.kind) {
    case 'path': {
      const path = row.value.trim();
      if (path === '') return { error: 'Pick a source field.' };
      if (!sourcePathsFor(eventKey).includes(path)) return { error: `"${path}" is not a field available for ${eventKey === '*' ? 'every event' : eventKey}.` };
      return { value: path };
    }
    case 'template':
      if (!row.value.includes('{{')) return { error: 'A template needs at least one {{field}}, e.g. {{lead.name}}. For fixed text use “Fixed value”.' };
      return { value: row.value };
    case 'const':
      if (row.constType === 'null') return { value: { const: null } };
      if (row.constType === 'boolean') {
        if (row.value !== 'true' && row.value !== 'false') return { error: 'Choose true or false.' };
        return { value: { const: row.value === 'true' } };
      }
      if (row.constType === 'number') {
        const number = Number(row.value.trim());
        if (row.value.trim() === '' || !Number.isFinite(number)) return { error: 'Enter a number.' };
        return { value: { const: number } };
      }
      return { value: { const: row.value } };
    case 'json': {
      try {
        const parsed: unknown = JSON.parse(row.value);
        if (typeof parsed === 'string' || (isRecord(parsed) && ('const' in parsed || 'object' in parsed || 'array' in parsed))) return { value: parsed as MappingValue };
        return { error: 'Advanced values are {"object": {…}}, {"array": […]} or {"const": …}.' };
      } catch (error) {
        return { error: `Not valid JSON: ${(error as Error).message}` };
      }
    }
    default:
      return { error: 'Unknown kind.' };
  }
}

/** Editor rows → the mapping to store, with a message for every row that cannot be stored. */
export function rowsToMapping(rows: MappingRow[], eventKey: string): RowsResult {
  const mapping: EventMapping = {};
  const errors: Record<number, string> = {};
  const seen = new Set<string>();
  rows.forEach((row, index) => {
    const key = row.key.trim();
    if (key === '') {
      errors[index] = 'Name the field the receiver gets.';
      return;
    }
    if (ENVELOPE_KEYS.some((reserved) => reserved.toLowerCase() === key.toLowerCase())) {
      errors[index] = `"${key}" is always sent by FusionChatalyst and cannot be mapped.`;
      return;
    }
    if (seen.has(key)) {
      errors[index] = `"${key}" is used twice.`;
      return;
    }
    seen.add(key);
    const { value, error } = rowToValue(row, eventKey);
    if (error !== undefined || value === undefined) errors[index] = error ?? 'Invalid value.';
    else mapping[key] = value;
  });
  return { mapping, errors };
}

/**
 * API field errors name a mapping key as `mappings["lead.captured"]["email"]` (or `mappings.lead.captured…`);
 * returns the event key and output key so the editor can mark the row.
 */
export function parseMappingFieldError(field: string): { eventKey: string; outputKey: string | null } | null {
  const match = /mappings\[("(?:[^"\\]|\\.)*")\](?:\[("(?:[^"\\]|\\.)*")\])?/.exec(field);
  if (!match?.[1]) return null;
  try {
    return { eventKey: JSON.parse(match[1]) as string, outputKey: match[2] ? (JSON.parse(match[2]) as string) : null };
  } catch {
    return null;
  }
}

/**
 * The fields one event sends under a webhook's mappings, as the server resolves them: the event's own entry laid
 * over "*", only "*" when the event has none, and the defaults when neither exists.
 */
export function resolveEventMapping(eventType: string, mappings: Mappings, defaults: Mappings): EventMapping {
  const specific = mappings[eventType];
  const common = mappings['*'];
  if (specific === undefined && common === undefined) return defaults[eventType] ?? {};
  return { ...common, ...specific };
}

/**
 * Keys each event would stop sending if `after` replaced `before` (e.g. a preset's email and phone dropped by
 * customising its fields): the editor warns before saving that.
 */
export function findDroppedKeys(eventTypes: readonly string[], before: Mappings, after: Mappings, defaults: Mappings): Record<string, string[]> {
  const dropped: Record<string, string[]> = {};
  for (const eventType of eventTypes) {
    const kept = resolveEventMapping(eventType, after, defaults);
    const lost = Object.keys(resolveEventMapping(eventType, before, defaults)).filter((key) => !(key in kept));
    if (lost.length > 0) dropped[eventType] = lost;
  }
  return dropped;
}
