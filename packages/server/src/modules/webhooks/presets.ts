import type { BodyFormat, Mappings } from '../delivery/index.js';

/**
 * CRM relay presets: a starting point the customer completes (their account ids and tokens go in the URL or
 * a custom header). Each is an ordinary webhook afterwards: same signing, retries and log.
 */
export interface WebhookPreset {
  id: 'hubspot' | 'salesforce' | 'pipedrive';
  name: string;
  /** The URL to fill in; `<…>` parts are the customer's own ids. */
  urlTemplate: string;
  bodyFormat: BodyFormat;
  events: string[];
  mappings: Mappings;
  /** Header names the CRM expects, with a placeholder value. */
  headers: Record<string, string>;
  instructions: string;
}

const LEAD_EVENTS = ['lead.captured', 'escalation.created'];

export const WEBHOOK_PRESETS: readonly WebhookPreset[] = [
  {
    id: 'hubspot',
    name: 'HubSpot (Forms API)',
    urlTemplate: 'https://api.hsforms.com/submissions/v3/integration/submit/<portalId>/<formGuid>',
    bodyFormat: 'json',
    events: LEAD_EVENTS,
    mappings: {
      '*': {
        fields: {
          array: [
            { object: { objectTypeId: { const: '0-1' }, name: { const: 'firstname' }, value: '{{lead.name | default:""}}' } },
            { object: { objectTypeId: { const: '0-1' }, name: { const: 'email' }, value: '{{lead.email | default:""}}' } },
            { object: { objectTypeId: { const: '0-1' }, name: { const: 'phone' }, value: '{{lead.phone | default:""}}' } },
            { object: { objectTypeId: { const: '0-1' }, name: { const: 'message' }, value: '{{conversation.firstMessage | default:""}}' } },
          ],
        },
        context: { object: { pageUri: 'visitor.pageUrl', pageName: 'chatbot.name' } },
      },
    },
    headers: {},
    instructions: 'Create a HubSpot form with firstname, email, phone and message fields, then put your portal id and form GUID in the URL.',
  },
  {
    id: 'salesforce',
    name: 'Salesforce Web-to-Lead',
    urlTemplate: 'https://webto.salesforce.com/servlet/servlet.WebToLead?encoding=UTF-8&orgId=<orgId>',
    bodyFormat: 'form',
    events: LEAD_EVENTS,
    mappings: {
      '*': {
        oid: { const: '<orgId>' },
        last_name: '{{lead.name | default:"Website visitor"}}',
        email: 'lead.email',
        phone: 'lead.phone',
        company: '{{customer.name}}',
        lead_source: { const: 'Website chat' },
        description: '{{conversation.firstMessage | default:""}}',
      },
    },
    headers: {},
    instructions: 'Replace <orgId> (Setup → Company Information → Salesforce.com Organization ID) in the URL and in the "oid" field.',
  },
  {
    id: 'pipedrive',
    name: 'Pipedrive (Persons API)',
    urlTemplate: 'https://<company>.pipedrive.com/api/v1/persons',
    bodyFormat: 'json',
    events: ['lead.captured'],
    mappings: {
      '*': {
        name: '{{lead.name | default:"Website visitor"}}',
        email: { array: ['lead.email'] },
        phone: { array: ['lead.phone'] },
      },
    },
    headers: { 'x-api-token': '<your Pipedrive API token>' },
    instructions: 'Put your company domain in the URL and your personal API token (Settings → Personal preferences → API) in the x-api-token header.',
  },
];

/** A preset by id, or undefined. */
export function findPreset(id: string): WebhookPreset | undefined {
  return WEBHOOK_PRESETS.find((preset) => preset.id === id);
}
