'use strict';

const { createHookTrigger } = require('../lib/hook-trigger');

module.exports = createHookTrigger({
  key: 'newSatisfactionRating',
  noun: 'Rating',
  label: 'New Satisfaction Rating',
  description: 'Triggers when a visitor rates the help a person gave them (1 to 5), after your team resolved the conversation.',
  event: 'conversation.rated',
  fields: [
    { key: 'name', label: 'Visitor Name' },
    { key: 'email', label: 'Visitor Email' },
    { key: 'phone', label: 'Visitor Phone (E.164)' },
    { key: 'chatbot_name', label: 'Chatbot Name' },
    { key: 'score', label: 'Score (1 to 5)', type: 'integer' },
    { key: 'comment', label: 'Comment' },
    { key: 'agent_name', label: 'Resolved By' },
  ],
  sample: {
    name: 'Jane Smith',
    email: 'jane@example.com',
    phone: '+15555550123',
    chatbot_name: 'Acme Plumbing Bot',
    score: 5,
    comment: 'Marisol sorted it out in minutes.',
    agent_name: 'Marisol',
    eventType: 'conversation.rated',
    eventTimestamp: '2026-05-03T14:40:12Z',
    eventId: 'evt_Qm9uZ2V2ZW50MDAz',
    customerId: 'cus_a1b2c3d4e5f6',
    chatbotId: 'bot_xyz123abc456',
    conversationId: 'conv_abc123def456',
  },
});
