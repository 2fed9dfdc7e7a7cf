import { describe, expect, it } from 'vitest';
import type { EventMapping } from '../api/types';
import { findDroppedKeys, mappingToRows, parseMappingFieldError, resolveEventMapping, rowsToMapping, type MappingRow } from './mapping-rows';

const row = (key: string, kind: MappingRow['kind'], value: string, constType: MappingRow['constType'] = 'string'): MappingRow => ({ key, kind, value, constType });

describe('mapping editor rows', () => {
  it('round-trips every kind of mapped value without losing anything', () => {
    const mapping: EventMapping = {
      email: 'lead.email',
      summary: '{{lead.name}} wants a quote',
      source: { const: 'website' },
      score: { const: 3.5 },
      hot: { const: false },
      note: { const: null },
      fields: { array: [{ object: { name: { const: 'email' }, value: '{{lead.email | default:""}}' } }] },
    };
    const rows = mappingToRows(mapping);
    expect(rows.map((r) => r.kind)).toEqual(['path', 'template', 'const', 'const', 'const', 'const', 'json']);
    expect(rows[3]).toMatchObject({ constType: 'number', value: '3.5' });
    const back = rowsToMapping(rows, 'lead.captured');
    expect(back.errors).toEqual({});
    expect(back.mapping).toEqual(mapping);
    expect(Object.keys(back.mapping)).toEqual(Object.keys(mapping));
  });

  it('names the problem on each bad row and leaves good rows in the mapping', () => {
    const { mapping, errors } = rowsToMapping([
      row('email', 'path', 'lead.email'),
      row('', 'path', 'lead.name'),
      row('eventId', 'const', 'x'),
      row('email', 'path', 'lead.phone'),
      row('where', 'path', 'lead.address'),
      row('greeting', 'template', 'Hello there'),
      row('count', 'const', 'many', 'number'),
      row('raw', 'json', '{"object": '),
    ], 'lead.captured');
    expect(mapping).toEqual({ email: 'lead.email' });
    expect(Object.keys(errors).map(Number)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(errors[2]).toContain('always sent');
    expect(errors[3]).toContain('used twice');
    expect(errors[4]).toContain('not a field');
  });

  it('offers rating fields only where the server accepts them', () => {
    expect(rowsToMapping([row('stars', 'path', 'rating.rating')], 'message.rated').errors).toEqual({});
    expect(rowsToMapping([row('stars', 'path', 'rating.rating')], 'lead.captured').errors[0]).toContain('not a field');
    expect(rowsToMapping([row('score', 'path', 'satisfaction.score')], 'conversation.rated').errors).toEqual({});
    expect(rowsToMapping([row('score', 'path', 'satisfaction.score')], '*').errors).toEqual({});
    expect(rowsToMapping([row('score', 'path', 'satisfaction.score')], 'message.rated').errors[0]).toContain('not a field');
    expect(rowsToMapping([row('stars', 'path', 'rating.rating')], 'conversation.rated').errors[0]).toContain('not a field');
  });

  it('finds the row an API field error points at', () => {
    expect(parseMappingFieldError('mappings["lead.captured"]["email"]')).toEqual({ eventKey: 'lead.captured', outputKey: 'email' });
    expect(parseMappingFieldError('body.mappings["*"]')).toEqual({ eventKey: '*', outputKey: null });
    expect(parseMappingFieldError('body.url')).toBeNull();
  });
});

describe('what customising fields replaces', () => {
  const defaults = { 'lead.captured': { name: 'lead.name', email: 'lead.email', phone: 'lead.phone', chatbot_name: 'chatbot.name', intent: 'lead.intent' } };

  it('resolves an event like the server: its own fields over "*", else the defaults', () => {
    expect(Object.keys(resolveEventMapping('lead.captured', {}, defaults))).toEqual(['name', 'email', 'phone', 'chatbot_name', 'intent']);
    expect(resolveEventMapping('lead.captured', { '*': { source: { const: 'web' } } }, defaults)).toEqual({ source: { const: 'web' } });
    expect(resolveEventMapping('lead.captured', { '*': { a: 'lead.id' }, 'lead.captured': { a: 'lead.email' } }, defaults)).toEqual({ a: 'lead.email' });
  });

  it('names the preset fields three new "every event" fields would silently drop', () => {
    const after = { '*': { source: { const: 'web' }, page: 'visitor.pageUrl', bot: 'chatbot.name' } };
    expect(findDroppedKeys(['lead.captured'], {}, after, defaults)).toEqual({ 'lead.captured': ['name', 'email', 'phone', 'chatbot_name', 'intent'] });
    // Starting from the preset's fields and adding to them drops nothing.
    const extended = { 'lead.captured': { ...defaults['lead.captured'], source: { const: 'web' } } };
    expect(findDroppedKeys(['lead.captured'], {}, extended, defaults)).toEqual({});
  });
});
