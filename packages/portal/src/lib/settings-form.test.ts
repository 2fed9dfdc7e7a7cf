import { describe, expect, it } from 'vitest';
import type { Chatbot } from '../api/types';
import { toFormFieldName, toFormValues, toUpdateBody } from './settings-form';

const chatbot: Chatbot = {
  id: 'bot_abcdefgh', name: 'Acme', knowledgeVersion: 1, createdAt: '2026-12-01T00:00:00Z', updatedAt: '2026-12-01T00:00:00Z',
  settings: {
    greeting: 'Hi!', defaultPhoneRegion: 'US', locale: 'en-US', allowedOrigins: ['https://acme.example'],
    leadCapture: { enabled: true, fields: ['name', 'phone', 'email'], requiredFields: ['phone'], intents: ['request_quote'] },
    escalation: { enabled: true, onRequest: true, onAnger: true, onComplaint: true, onLegal: false, maxFailedAnswers: 2, keywords: ['refund'] },
    rateLimit: { perVisitorPerMinute: 20, perIpPerMinute: 60 }, idleMinutesBeforeEnded: 30,
    intents: [{ name: 'drain_cleaning', examples: ['my drain is clogged'], captureLead: true }], quickReplies: ['Get a quote'],
    appearance: { title: 'Chat', color: '#2563eb', position: 'bottom-right', avatarUrl: null },
    llm: { baseUrl: 'https://llm.example/v1', model: 'small', timeoutMs: 8000, apiKeySet: true },
  },
};

describe('chatbot settings form', () => {
  it('sends back what it was given, without the write-only LLM key', () => {
    const body = toUpdateBody(toFormValues(chatbot));
    const { appearance: _appearance, llm, ...rest } = chatbot.settings;
    expect(body.settings).toMatchObject(rest);
    expect(body.settings.llm).toEqual({ baseUrl: 'https://llm.example/v1', model: 'small', timeoutMs: 8000 });
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

  it('maps API field errors to the form field that shows them', () => {
    expect(toFormFieldName('body.settings.rateLimit.perIpPerMinute')).toBe('rateLimit.perIpPerMinute');
    expect(toFormFieldName('body.settings.escalation.keywords.3')).toBe('escalation.keywordsText');
    expect(toFormFieldName('body.settings.intents.0.examples.1')).toBe('customIntents.0.examples');
    expect(toFormFieldName('body.settings.allowedOrigins.2')).toBe('allowedOrigins');
    expect(toFormFieldName('body.name')).toBe('name');
    expect(toFormFieldName('query.limit')).toBeNull();
  });
});
