import { describe, expect, it } from 'vitest';
import type { Chatbot } from '../api/types';
import { toBusinessHours, toBusinessHoursForm, toFormFieldName, toFormValues, toUpdateBody } from './settings-form';

const chatbot: Chatbot = {
  id: 'bot_abcdefgh', name: 'Acme', knowledgeVersion: 1, createdAt: '2026-12-01T00:00:00Z', updatedAt: '2026-12-01T00:00:00Z',
  settings: {
    greeting: 'Hi!', defaultPhoneRegion: 'US', locale: 'en-US', widgetLanguage: 'browser', allowedOrigins: ['https://acme.example'],
    leadCapture: { enabled: true, fields: ['name', 'phone', 'email'], requiredFields: ['phone'], intents: ['request_quote'] },
    escalation: { enabled: true, onRequest: true, onAnger: true, onComplaint: true, onLegal: false, maxFailedAnswers: 2, keywords: ['refund'] },
    rateLimit: { perVisitorPerMinute: 20, perIpPerMinute: 60 }, idleMinutesBeforeEnded: 30,
    intents: [{ name: 'drain_cleaning', examples: ['my drain is clogged'], captureLead: true }], quickReplies: ['Get a quote'],
    appearance: { title: 'Chat', color: '#2563eb', position: 'bottom-right', avatarUrl: null },
    llm: { baseUrl: 'https://llm.example/v1', model: 'small', timeoutMs: 8000, apiKeySet: true },
    businessHours: {
      enabled: true, timezone: 'America/Chicago',
      weekly: [{ day: 'mon', open: '09:00', close: '12:00' }, { day: 'mon', open: '13:00', close: '17:00' }, { day: 'sat', open: '10:00', close: '24:00' }],
    },
  },
};

describe('chatbot settings form', () => {
  it('sends back what it was given, without the write-only LLM key', () => {
    const body = toUpdateBody(toFormValues(chatbot));
    const { appearance: _appearance, llm, ...rest } = chatbot.settings;
    expect(body.settings).toMatchObject(rest);
    // A chatbot saved before the mode and the token limit existed gets the server's defaults written out.
    expect(body.settings.llm).toEqual({ baseUrl: 'https://llm.example/v1', model: 'small', timeoutMs: 8000, mode: 'understand', dailyTokenLimit: 200_000, embeddingsModel: null });
    expect(llm?.apiKeySet).toBe(true);
    expect(body.settings).not.toHaveProperty('appearance');
  });

  it('parses list fields and drops required fields that are not asked for', () => {
    const values = toFormValues(chatbot);
    values.allowedOrigins = 'https://a.example/\n\nhttps://*.b.example, https://a.example';
    values.escalation.keywordsText = 'refund,  lawyer ,';
    values.leadCapture.fields = ['email'];
    values.leadCapture.requiredFields = ['phone', 'email'];
    values.llmEnabled = false;
    const { settings } = toUpdateBody(values);
    expect(settings.allowedOrigins).toEqual(['https://a.example', 'https://*.b.example']);
    expect((settings.escalation as { keywords: string[] }).keywords).toEqual(['refund', 'lawyer']);
    expect((settings.leadCapture as { requiredFields: string[] }).requiredFields).toEqual(['email']);
    expect(settings.llm).toBeNull();
  });

  it('sends a typed LLM key, or null to remove the saved one', () => {
    const values = toFormValues(chatbot);
    values.llm.apiKey = ' sk-new ';
    expect((toUpdateBody(values).settings.llm as { apiKey: string }).apiKey).toBe('sk-new');
    values.llm.apiKey = '';
    values.llm.clearApiKey = true;
    expect((toUpdateBody(values).settings.llm as { apiKey: null }).apiKey).toBeNull();
  });

  it('shows business hours as a row per weekday, Monday first, and sends the same schedule back', () => {
    const form = toBusinessHoursForm(chatbot.settings.businessHours);
    expect(form.days.map((row) => row.day)).toEqual(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
    expect(form.days[0]).toMatchObject({ isClosed: false, open: '09:00', close: '12:00', more: [{ day: 'mon', open: '13:00', close: '17:00' }] });
    expect(form.days[1]).toMatchObject({ isClosed: true });
    // Midnight is edited as 00:00 (a time input cannot hold 24:00) and saved as 24:00 again.
    expect(form.days[5]).toMatchObject({ isClosed: false, open: '10:00', close: '00:00' });
    expect(toBusinessHours(form)).toEqual(chatbot.settings.businessHours);
    expect(toUpdateBody(toFormValues(chatbot)).settings.businessHours).toEqual(chatbot.settings.businessHours);
  });

  it('drops the intervals of days marked closed and adds newly opened days', () => {
    const form = toBusinessHoursForm(chatbot.settings.businessHours);
    form.days[0]!.isClosed = true;
    form.days[2] = { ...form.days[2]!, isClosed: false, open: '08:30', close: '18:00' };
    form.timezone = 'Europe/Berlin';
    expect(toBusinessHours(form)).toEqual({
      enabled: true, timezone: 'Europe/Berlin',
      weekly: [{ day: 'wed', open: '08:30', close: '18:00' }, { day: 'sat', open: '10:00', close: '24:00' }],
    });
  });

  it('maps API field errors to the form field that shows them', () => {
    expect(toFormFieldName('body.settings.rateLimit.perIpPerMinute')).toBe('rateLimit.perIpPerMinute');
    expect(toFormFieldName('body.settings.escalation.keywords.3')).toBe('escalation.keywordsText');
    expect(toFormFieldName('body.settings.intents.0.examples.1')).toBe('customIntents.0.examples');
    expect(toFormFieldName('body.settings.allowedOrigins.2')).toBe('allowedOrigins');
    expect(toFormFieldName('body.name')).toBe('name');
    expect(toFormFieldName('body.settings.businessHours.timezone')).toBe('businessHours.timezone');
    expect(toFormFieldName('body.settings.businessHours')).toBe('businessHours.enabled');
    expect(toFormFieldName('query.limit')).toBeNull();
  });
});
