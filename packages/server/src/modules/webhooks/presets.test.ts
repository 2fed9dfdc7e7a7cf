import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDeliveryRequest, buildSampleEventContext, validateMappings } from '../delivery/index.js';
import { isPresetSuccessStatus, WEBHOOK_PRESETS } from './presets.js';

/**
 * Golden tests: the exact request each CRM preset sends for the product page's sample lead (Jane Smith),
 * reviewed by hand against each CRM's API (HubSpot CRM v3 contacts, Salesforce Web-to-Lead, Pipedrive
 * persons) and kept in fixtures/preset-requests.golden.json. A change to a preset, the mapping language,
 * the envelope or the signing shows up here as a diff to review.
 */
const GOLDEN = JSON.parse(readFileSync(new URL('./fixtures/preset-requests.golden.json', import.meta.url), 'utf8')) as Record<string, unknown>;

describe('CRM presets', () => {
  const context = buildSampleEventContext({ now: new Date('2026-05-03T14:22:08Z'), customer: { id: 'cus_goldenCustomer', name: 'Acme Plumbing' }, chatbot: { id: 'bot_goldenChatbot', name: 'Acme Bot' } });

  it.each(WEBHOOK_PRESETS.map((preset) => [preset.id, preset] as const))('%s builds exactly its golden request', (id, preset) => {
    expect(() => validateMappings(preset.mappings)).not.toThrow();
    const request = buildDeliveryRequest({
      webhook: { url: preset.urlTemplate, signingMode: 'hmac-sha256', secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], bodyFormat: preset.bodyFormat, mappings: Object.keys(preset.mappings).length > 0 ? preset.mappings : null, headers: preset.headers },
      event: { id: 'evt_goldenEvent', type: 'lead.captured', occurredAt: '2026-05-03T14:22:08.000Z', context },
      deliveryId: 'dlv_goldenDelivery',
      now: Date.parse('2026-05-03T14:22:09Z'),
    });
    expect({ url: request.url, method: request.method, headers: request.headers, body: request.body }).toEqual(GOLDEN[id]);
  });

  it('fills what each CRM requires', () => {
    const salesforce = new URLSearchParams((GOLDEN.salesforce as { body: string }).body);
    expect(salesforce.get('last_name')).toBe('Jane Smith');
    expect(salesforce.get('company')).toBeTruthy();
    expect(salesforce.get('oid')).toBeTruthy();
    const hubspot = JSON.parse((GOLDEN.hubspot as { body: string }).body) as { properties: Record<string, string> };
    expect(hubspot.properties).toMatchObject({ email: 'jane@example.com', firstname: 'Jane Smith', phone: '+15555550123' });
    const pipedrive = JSON.parse((GOLDEN.pipedrive as { body: string }).body) as { name: string; email: { value: string }[] };
    expect(pipedrive).toMatchObject({ name: 'Jane Smith', email: [{ value: 'jane@example.com', primary: true }] });
    const generic = JSON.parse((GOLDEN.generic as { body: string }).body) as Record<string, unknown>;
    expect(Object.keys(generic).slice(0, 5)).toEqual(['name', 'email', 'phone', 'chatbot_name', 'intent']);
  });

  it('treats HubSpot\'s 409 (contact exists) as delivered, and nothing else', () => {
    expect(isPresetSuccessStatus('hubspot', 409)).toBe(true);
    expect(isPresetSuccessStatus('hubspot', 400)).toBe(false);
    expect(isPresetSuccessStatus('salesforce', 409)).toBe(false);
    expect(isPresetSuccessStatus(null, 409)).toBe(false);
  });
});
