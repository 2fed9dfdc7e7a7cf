import type { BodyFormat, Mappings } from '../delivery/index.js';

/**
 * CRM relay presets: a starting point the customer completes (their account ids and tokens go in the URL or
 * a custom header). Each is an ordinary webhook afterwards: same signing, retries and log.
 */
export type PresetId = 'hubspot' | 'salesforce' | 'pipedrive' | 'generic';

export interface WebhookPreset {
  id: PresetId;
  name: string;
  /** The URL to fill in; `<…>` parts are the customer's own ids. */
  urlTemplate: string;
  method: 'POST';
  bodyFormat: BodyFormat;
  events: string[];
  mappings: Mappings;
  /** Header names the CRM expects, with a placeholder value. */
  headers: Record<string, string>;
  /** Status codes this CRM uses for "already done" (treated as delivered, not retried). */
  alsoSuccessStatuses: number[];
  instructions: string;
}

const LEAD_EVENTS = ['lead.captured'];

export const WEBHOOK_PRESETS: readonly WebhookPreset[] = [
  {
    id: 'hubspot',
    name: 'HubSpot (CRM contacts)',
    urlTemplate: 'https://api.hubapi.com/crm/v3/objects/contacts',
    method: 'POST',
    bodyFormat: 'json',
    events: LEAD_EVENTS,
    mappings: {
      '*': {
        properties: {
          object: {
            email: 'lead.email',
            firstname: '{{lead.name | default:""}}',
            phone: 'lead.phone',
            hs_lead_status: { const: 'NEW' },
            message: '{{conversation.firstMessage | default:""}}',
          },
        },
      },
    },
    headers: { Authorization: 'Bearer <your HubSpot private app token>' },
    // HubSpot answers 409 Conflict when a contact with that email exists: the lead is already in the CRM.
    alsoSuccessStatuses: [409],
    instructions: 'Create a HubSpot private app with the crm.objects.contacts.write scope and put its token in the Authorization header.',
  },
  {
    id: 'salesforce',
    name: 'Salesforce Web-to-Lead',
    urlTemplate: 'https://webto.salesforce.com/servlet/servlet.WebToLead?encoding=UTF-8',
    method: 'POST',
    bodyFormat: 'form',
    events: LEAD_EVENTS,
    mappings: {
      '*': {
        oid: { const: '<your Salesforce organization id>' },
        last_name: '{{lead.name | default:"Website visitor"}}',
        company: { const: '[not provided]' },
        email: 'lead.email',
        phone: 'lead.phone',
        lead_source: { const: 'Website chat' },
        description: '{{conversation.firstMessage | default:""}}',
      },
    },
    headers: {},
    alsoSuccessStatuses: [],
    instructions: 'Put your organization id (Setup → Company Information) in the "oid" field. Salesforce needs last_name and company, so both always have a value.',
  },
  {
    id: 'pipedrive',
    name: 'Pipedrive (persons)',
    urlTemplate: 'https://api.pipedrive.com/v1/persons?api_token=<your Pipedrive API token>',
    method: 'POST',
    bodyFormat: 'json',
    events: LEAD_EVENTS,
    mappings: {
      '*': {
        name: '{{lead.name | default:"Website visitor"}}',
        email: { array: [{ object: { value: 'lead.email', primary: { const: true } } }] },
        phone: { array: [{ object: { value: 'lead.phone', primary: { const: true } } }] },
      },
    },
    headers: {},
    alsoSuccessStatuses: [],
    instructions: 'Put your personal API token (Settings → Personal preferences → API) in the URL.',
  },
  {
    id: 'generic',
    name: 'Generic JSON',
    urlTemplate: 'https://',
    method: 'POST',
    bodyFormat: 'json',
    events: ['lead.captured', 'escalation.created', 'conversation.started'],
    mappings: {},
    headers: {},
    alsoSuccessStatuses: [],
    instructions: 'The product page\'s payload: name, email, phone, chatbot_name, intent and the envelope, signed.',
  },
];

/** True when a preset's CRM uses this status for "already done" (e.g. HubSpot's 409 for an existing contact). */
export function isPresetSuccessStatus(presetId: string | null, statusCode: number | null): boolean {
  if (presetId === null || statusCode === null) return false;
  return findPreset(presetId)?.alsoSuccessStatuses.includes(statusCode) ?? false;
}

/** A preset by id, or undefined. */
export function findPreset(id: string): WebhookPreset | undefined {
  return WEBHOOK_PRESETS.find((preset) => preset.id === id);
}
