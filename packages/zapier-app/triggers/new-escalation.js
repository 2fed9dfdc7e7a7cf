'use strict';

const { createHookTrigger } = require('../lib/hook-trigger');

module.exports = createHookTrigger({
  key: 'newEscalation',
  noun: 'Escalation',
  label: 'New Escalation',
  description: 'Triggers when a conversation is handed to a human (the visitor asked for one, or the bot could not help).',
  event: 'escalation.created',
  fields: [
    { key: 'name', label: 'Visitor Name' },
    { key: 'email', label: 'Visitor Email' },
    { key: 'phone', label: 'Visitor Phone (E.164)' },
    { key: 'chatbot_name', label: 'Chatbot Name' },
    { key: 'reason', label: 'Reason' },
    { key: 'last_message', label: 'Last Visitor Message' },
  ],
  sample: {
    name: 'Jane Smith',
    email: 'jane@example.com',
    phone: '+15555550123',
    chatbot_name: 'Acme Plumbing Bot',
    reason: 'visitor_requested_human',
    last_message: 'Can I talk to a person?',
    eventType: 'escalation.created',
    eventTimestamp: '2026-05-03T14:25:41Z',
    eventId: 'evt_Qm9uZ2V2ZW50MDAy',
    customerId: 'cus_a1b2c3d4e5f6',
    chatbotId: 'bot_xyz123abc456',
    conversationId: 'conv_abc123def456',
  },
});
