'use strict';

const { createHookTrigger } = require('../lib/hook-trigger');
const LEAD_FIELDS = require('../lib/lead-fields');

module.exports = createHookTrigger({
  key: 'newLead',
  noun: 'Lead',
  label: 'New Lead',
  description: 'Triggers when your chatbot captures a lead: once per conversation, with every detail the visitor gave (name, email, phone).',
  event: 'lead.captured',
  fields: LEAD_FIELDS,
  // The product page's example, exactly as a lead.captured delivery arrives.
  sample: {
    name: 'Jane Smith',
    email: 'jane@example.com',
    phone: '+15555550123',
    chatbot_name: 'Acme Plumbing Bot',
    intent: 'request_quote',
    eventType: 'lead.captured',
    eventTimestamp: '2026-05-03T14:22:08Z',
    eventId: 'evt_Qm9uZ2V2ZW50MDAx',
    customerId: 'cus_a1b2c3d4e5f6',
    chatbotId: 'bot_xyz123abc456',
    conversationId: 'conv_abc123def456',
  },
});
