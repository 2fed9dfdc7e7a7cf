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

/**
 * CRM presets subscribe to `lead.captured` only: each of these endpoints creates a record, so a `lead.updated`
 * would duplicate the lead (Web-to-Lead, Pipedrive persons) or be refused as a conflict that HubSpot's create
 * endpoint answers for an existing email (409, counted as delivered but not applied). None of them can upsert in
 * one request keyed on what every lead has (a phone-only lead has no email to match on). The generic preset,
 * whose receiver keys leads on `conversationId`, subscribes to both.
 */
const LEAD_EVENTS = ['lead.captured'];
const NO_UPDATES = ' Later changes to a lead (lead.updated) are not sent here, because this endpoint would create a second record; use a generic webhook or Zapier to update it.';

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
    instructions: `Create a HubSpot private app with the crm.objects.contacts.write scope and put its token in the Authorization header.${NO_UPDATES}`,
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
    instructions: `Put your organization id (Setup → Company Information) in the "oid" field. Salesforce needs last_name and company, so both always have a value.${NO_UPDATES}`,
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
    instructions: `Put your personal API token (Settings → Personal preferences → API) in the URL.${NO_UPDATES}`,
  },
  {
    id: 'generic',
    name: 'Generic JSON',
    urlTemplate: 'https://',
    method: 'POST',
    bodyFormat: 'json',
    events: ['lead.captured', 'lead.updated', 'escalation.created', 'conversation.started'],
    mappings: {},
    headers: {},
    alsoSuccessStatuses: [],
    instructions: 'The product page\'s payload: name, email, phone, chatbot_name, intent and the envelope, signed. lead.updated carries the same keys when a captured lead changes: update the lead you stored for its conversationId.',
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
