import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors.js';
import {
  buildEnvelope, buildSampleEventContext, DEFAULT_MAPPINGS, encodeBody, renderPayload,
  resolveEventMapping, validateMappings,
} from './mapping.js';
import type { EventContext, EventType } from './mapping.js';

const context: EventContext = {
  customer: { id: 'cus_a1b2c3', name: 'Acme Plumbing' },
  chatbot: { id: 'bot_xyz', name: 'Acme Plumbing Bot' },
  conversation: {
    id: 'conv_abc',
    intent: 'request_quote',
    startedAt: '2026-05-03T14:20:01.250Z',
    messageCount: 3,
    firstMessage: 'Hi there',
    transcript: ['Visitor: Hi there', 'Bot: Hello!', 'Visitor: I need a quote'],
    summary: null,
  },
  visitor: { id: 'vis_1', pageUrl: 'https://acme.example/quote', referrer: null, locale: 'en-US' },
  lead: { id: 'lead_1', name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', intent: 'request_quote' },
};

const envelopeMeta = {
  eventType: 'lead.captured' as const,
  eventId: 'evt_1',
  occurredAt: '2026-05-03T14:22:08.731Z',
  customerId: 'cus_a1b2c3',
  chatbotId: 'bot_xyz',
  conversationId: 'conv_abc',
};

function fieldErrors(input: unknown): Array<{ field: string; message: string }> {
  try {
    validateMappings(input);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('validation_failed');
    return (error as AppError).errors ?? [];
  }
  throw new Error('expected validateMappings to throw');
}

describe('default mappings', () => {
  it('lead.captured reproduces the product page example exactly (plus eventId from the contract)', () => {
    const body = buildEnvelope(renderPayload('lead.captured', context, null), envelopeMeta);
    expect(JSON.stringify(body)).toBe(
      JSON.stringify({
        name: 'Jane Smith',
        email: 'jane@example.com',
        phone: '+15555550123',
        chatbot_name: 'Acme Plumbing Bot',
        intent: 'request_quote',
        eventType: 'lead.captured',
        eventTimestamp: '2026-05-03T14:22:08Z',
        eventId: 'evt_1',
        customerId: 'cus_a1b2c3',
        chatbotId: 'bot_xyz',
        conversationId: 'conv_abc',
      }),
    );
  });

  it('gives each event type the keys of contract section 4', () => {
    const sample = buildSampleEventContext();
    const keys = (type: EventType): string[] => Object.keys(renderPayload(type, sample, undefined));
    expect(keys('escalation.created')).toEqual(['name', 'email', 'phone', 'chatbot_name', 'reason', 'last_message']);
    expect(keys('escalation.resolved')).toEqual(['name', 'email', 'phone', 'chatbot_name', 'reason', 'last_message']);
    expect(keys('conversation.started')).toEqual(['chatbot_name', 'first_message', 'page_url']);
    expect(keys('conversation.ended')).toEqual(['chatbot_name', 'intent', 'message_count', 'transcript']);
    expect(keys('message.rated')).toEqual(['chatbot_name', 'rating', 'comment', 'question', 'answer']);
    expect(renderPayload('conversation.rated', sample, undefined)).toEqual({
      name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', chatbot_name: 'Acme Plumbing Bot', score: 5, comment: 'Marisol sorted it out in minutes.', agent_name: 'Marisol',
    });
    expect(renderPayload('webhook.test', sample, undefined)).toMatchObject({ test: true, name: 'Jane Smith', chatbot_name: 'Acme Plumbing Bot' });
  });

  it('sends the transcript as one text block and the message count as a number', () => {
    expect(renderPayload('conversation.ended', context, null)).toEqual({
      chatbot_name: 'Acme Plumbing Bot',
      intent: 'request_quote',
      message_count: 3,
      transcript: 'Visitor: Hi there\nBot: Hello!\nVisitor: I need a quote',
    });
  });

  it('renders null for objects an event does not have, so every delivery has the same keys', () => {
    const withoutLead = { ...context, lead: null, escalation: { id: 'esc_1', reason: 'human_requested', lastMessage: 'a person please' } };
    expect(renderPayload('escalation.created', withoutLead, null)).toEqual({
      name: null, email: null, phone: null, chatbot_name: 'Acme Plumbing Bot', reason: 'human_requested', last_message: 'a person please',
    });
  });

  it('all defaults pass validation', () => {
    expect(validateMappings(structuredClone(DEFAULT_MAPPINGS))).toEqual(DEFAULT_MAPPINGS);
  });
});

describe('custom mappings', () => {
  it('the contract example: path, template and constant', () => {
    const mappings = validateMappings({
      'lead.captured': { email: 'lead.email', summary: '{{lead.name}} wants a quote', source: { const: 'website' } },
    });
    expect(renderPayload('lead.captured', context, mappings)).toEqual({ email: 'jane@example.com', summary: 'Jane Smith wants a quote', source: 'website' });
  });

  it('a value that is exactly one {{path}} keeps its type; mixed text becomes a string', () => {
    const mappings = validateMappings({
      '*': {
        count: '{{conversation.messageCount}}',
        lines: '{{ conversation.transcript }}',
        missing: '{{conversation.summary}}',
        text: 'n={{conversation.messageCount}} s={{conversation.summary}} t={{conversation.transcript}}',
      },
    });
    expect(renderPayload('conversation.ended', context, mappings)).toEqual({
      count: 3,
      lines: ['Visitor: Hi there', 'Bot: Hello!', 'Visitor: I need a quote'],
      missing: null,
      text: 'n=3 s= t=["Visitor: Hi there","Bot: Hello!","Visitor: I need a quote"]',
    });
  });

  it('filters: default, upper, lower, trim, join and date', () => {
    const mappings = validateMappings({
      'lead.captured': {
        referrer: '{{visitor.referrer | default:"direct"}}',
        summary: '{{conversation.summary | default:0}}',
        shout: '{{lead.name | upper}}',
        quiet: '{{ lead.email | lower }}',
        padded: '{{conversation.firstMessage | trim | upper}}!',
        lines: '{{conversation.transcript | join:" / "}}',
        commas: '{{conversation.transcript | join}}',
        iso: '{{conversation.startedAt | date:"iso"}}',
        day: '{{conversation.startedAt | date:"date"}}',
        unix: '{{conversation.startedAt | date:"unix"}}',
        nodate: '{{lead.name | date}}',
        tricky: '{{conversation.transcript | join:"}} | {{"}}',
      },
    });
    expect(renderPayload('lead.captured', context, mappings)).toEqual({
      referrer: 'direct',
      summary: 0,
      shout: 'JANE SMITH',
      quiet: 'jane@example.com',
      padded: 'HI THERE!',
      lines: 'Visitor: Hi there / Bot: Hello! / Visitor: I need a quote',
      commas: 'Visitor: Hi there, Bot: Hello!, Visitor: I need a quote',
      iso: '2026-05-03T14:20:01Z',
      day: '2026-05-03',
      unix: 1777818001,
      nodate: null,
      tricky: 'Visitor: Hi there}} | {{Bot: Hello!}} | {{Visitor: I need a quote',
    });
  });

  it('visitor text that looks like JSON or a template stays inert data', () => {
    const hostile = { ...context, lead: { ...context.lead!, name: '", "admin": true, "x": "{{customer.id}}' } };
    const mappings = validateMappings({ 'lead.captured': { name: 'lead.name', greeting: 'Hello {{lead.name}}' } });
    const body = encodeBody(buildEnvelope(renderPayload('lead.captured', hostile, mappings), envelopeMeta), 'json').body;
    const parsed = JSON.parse(body) as Record<string, unknown>;
    expect(parsed.name).toBe(hostile.lead.name);
    expect(parsed.greeting).toBe(`Hello ${hostile.lead.name}`);
    expect(parsed).not.toHaveProperty('admin');
  });

  it('nested objects and arrays for receivers that want structure (e.g. a HubSpot-style fields list)', () => {
    const mappings = validateMappings({
      'lead.captured': {
        fields: { array: [{ object: { name: { const: 'email' }, value: 'lead.email' } }, { object: { name: { const: 'firstname' }, value: 'lead.name' } }] },
        context: { object: { pageUri: 'visitor.pageUrl', pageName: { const: 'Chat' } } },
      },
    });
    expect(renderPayload('lead.captured', context, mappings)).toEqual({
      fields: [{ name: 'email', value: 'jane@example.com' }, { name: 'firstname', value: 'Jane Smith' }],
      context: { pageUri: 'https://acme.example/quote', pageName: 'Chat' },
    });
  });

  it('an event type\'s own mapping is laid over "*"; without either, the defaults apply', () => {
    const mappings = validateMappings({ '*': { source: { const: 'website' }, email: 'lead.email' }, 'lead.captured': { email: '{{lead.email | upper}}' } });
    expect(renderPayload('lead.captured', context, mappings)).toEqual({ source: 'website', email: 'JANE@EXAMPLE.COM' });
    expect(renderPayload('conversation.started', context, mappings)).toEqual({ source: 'website', email: 'jane@example.com' });
    expect(resolveEventMapping('conversation.started', { 'lead.captured': {} })).toBe(DEFAULT_MAPPINGS['conversation.started']);
  });

  it('rating.* is available for message.rated and renders null through "*" on other events', () => {
    const mappings = validateMappings({ '*': { rating: 'rating.rating' }, 'message.rated': { comment: 'rating.comment' } });
    expect(renderPayload('lead.captured', context, mappings)).toEqual({ rating: null });
    const rated = { ...context, rating: { rating: 'down' as const, comment: 'wrong', question: 'q', answer: 'a' } };
    expect(renderPayload('message.rated', rated, mappings)).toEqual({ rating: 'down', comment: 'wrong' });
  });

  it('satisfaction.* is available for conversation.rated and renders null through "*" on other events', () => {
    const mappings = validateMappings({ '*': { stars: 'satisfaction.score' }, 'conversation.rated': { said: '{{satisfaction.comment | default:"-"}}' } });
    expect(renderPayload('lead.captured', context, mappings)).toEqual({ stars: null });
    const rated = { ...context, satisfaction: { score: 2, comment: null, agentName: 'Marisol' } };
    expect(renderPayload('conversation.rated', rated, mappings)).toEqual({ stars: 2, said: '-' });
  });

  it('normalises paths and deep-copies constants', () => {
    const constant = { list: [1, 2] };
    const normalized = validateMappings({ 'lead.captured': { email: '  lead.email ', meta: { const: constant } } });
    expect(normalized['lead.captured']).toEqual({ email: 'lead.email', meta: { const: { list: [1, 2] } } });
    constant.list.push(3);
    expect(renderPayload('lead.captured', context, normalized).meta).toEqual({ list: [1, 2] });
  });
});

describe('validateMappings rejects, naming the bad key', () => {
  it.each([
    [{ 'lead.captured': { email: 'lead.mail' } }, 'mappings["lead.captured"]["email"]', 'lead.email'],
    [{ 'lead.captured': { email: 'website' } }, 'mappings["lead.captured"]["email"]', '{"const": "website"}'],
    [{ 'lead.captured': { x: 'process.env' } }, 'mappings["lead.captured"]["x"]', 'paths start with'],
    [{ 'lead.captured': { x: 'lead.__proto__' } }, 'mappings["lead.captured"]["x"]', 'not allowed'],
    [{ 'lead.captured': { x: '{{constructor.name}}' } }, 'mappings["lead.captured"]["x"]', 'not allowed'],
    [{ 'lead.captured': { x: 'lead.name.length' } }, 'mappings["lead.captured"]["x"]', 'not a source path'],
    [{ 'lead.captured': { x: '{{lead.name' } }, 'mappings["lead.captured"]["x"]', 'never closed'],
    [{ 'lead.captured': { x: '{{lead.name | shout}}' } }, 'mappings["lead.captured"]["x"]', 'unknown filter'],
    [{ 'lead.captured': { x: '{{lead.name | date:"week"}}' } }, 'mappings["lead.captured"]["x"]', '"iso", "date" or "unix"'],
    [{ 'lead.captured': { x: '{{lead.name | default}}' } }, 'mappings["lead.captured"]["x"]', 'needs a value'],
    [{ 'lead.captured': { x: '{{lead.name | upper:"x"}}' } }, 'mappings["lead.captured"]["x"]', 'takes no argument'],
    [{ 'lead.captured': { x: '{{}}' } }, 'mappings["lead.captured"]["x"]', 'expected a source path'],
    [{ 'lead.captured': { x: 'rating.comment' } }, 'mappings["lead.captured"]["x"]', 'only available for message.rated'],
    [{ 'message.rated': { x: 'satisfaction.score' } }, 'mappings["message.rated"]["x"]', 'only available for conversation.rated'],
    [{ 'lead.captured': { eventType: { const: 'spoof' } } }, 'mappings["lead.captured"]["eventType"]', 'envelope key'],
    [{ 'lead.captured': { EVENTID: 'lead.id' } }, 'mappings["lead.captured"]["EVENTID"]', 'envelope key'],
    [{ 'lead.captured': { constructor: 'lead.id' } }, 'mappings["lead.captured"]["constructor"]', 'cannot be used'],
    [{ 'lead.captured': { prototype: 'lead.id' } }, 'mappings["lead.captured"]["prototype"]', 'cannot be used'],
    [{ 'lead.captured': { '': 'lead.id' } }, 'mappings["lead.captured"][""]', 'must not be empty'],
    [{ 'lead.captured': { 'a\nb': 'lead.id' } }, 'mappings["lead.captured"]["a\\nb"]', 'control characters'],
    [{ 'lead.captured': { x: { const: 1, path: 'lead.id' } } }, 'mappings["lead.captured"]["x"]', 'must be a source path'],
    [{ 'lead.captured': { x: 42 } }, 'mappings["lead.captured"]["x"]', 'must be a source path'],
    [{ 'lead.captured': { x: { const: Number.NaN } } }, 'mappings["lead.captured"]["x"]', 'finite'],
    [{ 'lead.captured': { x: { object: { eventType: 'lead.id' } } } }, null, null],
    [{ 'lead.created': { x: 'lead.id' } }, 'mappings["lead.created"]', 'not an event type'],
    [{ 'lead.captured': ['lead.id'] }, 'mappings["lead.captured"]', 'must be an object'],
  ])('%j', (input, field, message) => {
    if (field === null) {
      // Envelope names are only reserved at the top level; nested objects may use them.
      expect(() => validateMappings(input)).not.toThrow();
      return;
    }
    const errors = fieldErrors(input);
    expect(errors[0]?.field).toBe(field);
    expect(errors[0]?.message).toContain(message);
  });

  it('rejects a __proto__ key that arrives through JSON.parse, and const values carrying one', () => {
    expect(fieldErrors(JSON.parse('{"lead.captured": {"__proto__": "lead.id"}}'))[0]?.field).toBe('mappings["lead.captured"]["__proto__"]');
    expect(fieldErrors(JSON.parse('{"lead.captured": {"x": {"const": {"__proto__": {"admin": true}}}}}'))[0]?.message).toContain('__proto__');
  });

  it('reports every bad key at once', () => {
    const errors = fieldErrors({ 'lead.captured': { a: 'lead.nope', b: 'lead.email', c: { const: undefined } } });
    expect(errors.map((error) => error.field)).toEqual(['mappings["lead.captured"]["a"]', 'mappings["lead.captured"]["c"]']);
  });

  it('bounds sizes: keys per event, key length, template length, nesting, constants', () => {
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'lead.id']));
    expect(fieldErrors({ 'lead.captured': many })[0]?.message).toContain('at most 50 keys');
    expect(fieldErrors({ 'lead.captured': { ['k'.repeat(101)]: 'lead.id' } })[0]?.message).toContain('at most 100 characters');
    expect(fieldErrors({ 'lead.captured': { x: `${'a'.repeat(2_000)}{{lead.id}}` } })[0]?.message).toContain('at most 2000 characters');
    let deep: unknown = 'lead.id';
    for (let i = 0; i < 6; i += 1) deep = { object: { x: deep } };
    expect(fieldErrors({ 'lead.captured': { deep } })[0]?.message).toContain('nest at most');
    expect(fieldErrors({ 'lead.captured': { x: { const: 'y'.repeat(5_000) } } })[0]?.message).toContain('at most 4000');
  });

  it('never throws anything but a validation error, whatever the input', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          validateMappings({ 'lead.captured': value });
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
        }
      }),
    );
  });

  it('rejects a non-object', () => {
    expect(fieldErrors('lead.email')[0]).toEqual({ field: 'mappings', message: 'must be an object keyed by event type or "*"' });
  });
});

describe('buildEnvelope', () => {
  it('envelope keys always win and come last, whatever a payload holds', () => {
    const body = buildEnvelope({ eventId: 'evt_spoofed', customerId: 'cus_other', extra: 1 }, { ...envelopeMeta, conversationId: null });
    expect(body).toEqual({
      extra: 1, eventType: 'lead.captured', eventTimestamp: '2026-05-03T14:22:08Z', eventId: 'evt_1',
      customerId: 'cus_a1b2c3', chatbotId: 'bot_xyz', conversationId: null,
    });
    expect(Object.keys(body)).toEqual(['extra', 'eventType', 'eventTimestamp', 'eventId', 'customerId', 'chatbotId', 'conversationId']);
  });

  it('accepts a Date or epoch milliseconds as the event time', () => {
    expect(buildEnvelope({}, { ...envelopeMeta, occurredAt: new Date('2026-05-03T14:22:08.999Z') }).eventTimestamp).toBe('2026-05-03T14:22:08Z');
    expect(buildEnvelope({}, { ...envelopeMeta, occurredAt: Date.UTC(2026, 4, 3, 14, 22, 8) }).eventTimestamp).toBe('2026-05-03T14:22:08Z');
  });
});

describe('encodeBody', () => {
  const payload = { name: 'Jane Smith', note: 'a&b=c+d é', count: 3, ok: true, none: null, tags: ['x', 'y'], nested: { a: 1 } };

  it('JSON by default', () => {
    expect(encodeBody(payload, 'json')).toEqual({ contentType: 'application/json', body: JSON.stringify(payload) });
  });

  it('form-encoded for CRMs: scalars as text, null as empty, nested values as JSON text', () => {
    const { contentType, body } = encodeBody(payload, 'form');
    expect(contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({
      name: 'Jane Smith', note: 'a&b=c+d é', count: '3', ok: 'true', none: '', tags: '["x","y"]', nested: '{"a":1}',
    });
  });
});
