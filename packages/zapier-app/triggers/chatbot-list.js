'use strict';

const { baseUrl } = require('../lib/api');

const PAGE_SIZE = 200;

/** Hidden trigger behind the "Chatbot" dropdowns: the account's chatbots (GET /api/portal/chatbots). */
module.exports = {
  key: 'chatbotList',
  noun: 'Chatbot',
  display: {
    label: 'List Chatbots',
    description: 'Lists your chatbots, for choosing one in a dropdown.',
    hidden: true,
  },
  operation: {
    perform: async (z, bundle) => {
      const response = await z.request({ url: `${baseUrl(bundle)}/api/portal/chatbots`, params: { limit: PAGE_SIZE } });
      return response.data.items.map((chatbot) => ({ id: chatbot.id, name: chatbot.name, createdAt: chatbot.createdAt }));
    },
    sample: { id: 'bot_xyz123abc456', name: 'Acme Plumbing Bot', createdAt: '2026-05-01T09:00:00Z' },
    outputFields: [
      { key: 'id', label: 'Chatbot ID' },
      { key: 'name', label: 'Name' },
      { key: 'createdAt', label: 'Created', type: 'datetime' },
    ],
  },
};
