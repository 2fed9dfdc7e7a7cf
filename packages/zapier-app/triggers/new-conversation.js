'use strict';

const { createHookTrigger } = require('../lib/hook-trigger');

module.exports = createHookTrigger({
  key: 'newConversation',
  noun: 'Conversation',
  label: 'New Conversation',
  description: 'Triggers when a visitor starts a new chat with your chatbot.',
  event: 'conversation.started',
  fields: [
    { key: 'chatbot_name', label: 'Chatbot Name' },
    { key: 'first_message', label: 'First Message' },
    { key: 'page_url', label: 'Page URL' },
  ],
  sample: {
    chatbot_name: 'Acme Plumbing Bot',
    first_message: 'Hi, can I get a quote for a new water heater?',
    page_url: 'https://www.example.com/water-heaters',
    eventType: 'conversation.started',
    eventTimestamp: '2026-05-03T14:20:08Z',
    eventId: 'evt_Qm9uZ2V2ZW50MDAz',
    customerId: 'cus_a1b2c3d4e5f6',
    chatbotId: 'bot_xyz123abc456',
    conversationId: 'conv_abc123def456',
  },
});
