'use strict';

const { createHookTrigger } = require('../lib/hook-trigger');
const LEAD_FIELDS = require('../lib/lead-fields');

module.exports = createHookTrigger({
  key: 'updatedLead',
  noun: 'Lead',
  label: 'Updated Lead',
  description: 'Triggers when a lead your chatbot already sent changes (the visitor corrects or adds their name, email or phone).',
  event: 'lead.updated',
  // The same keys as New Lead, so one Zap step can update the record a New Lead Zap created (match on Conversation ID).
  fields: LEAD_FIELDS,
  sample: {
    name: 'Jane Smith',
    email: 'jane.smith@example.com',
    phone: '+15555550123',
    chatbot_name: 'Acme Plumbing Bot',
    intent: 'request_quote',
    eventType: 'lead.updated',
    eventTimestamp: '2026-05-03T14:25:41Z',
    eventId: 'evt_Qm9uZ2V2ZW50MDAy',
    customerId: 'cus_a1b2c3d4e5f6',
    chatbotId: 'bot_xyz123abc456',
    conversationId: 'conv_abc123def456',
  },
});
