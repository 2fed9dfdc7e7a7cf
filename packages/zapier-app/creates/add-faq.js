'use strict';

const { baseUrl } = require('../lib/api');

/** "Add FAQ to Knowledge Base": POST /api/portal/chatbots/:id/knowledge with a question and its answer. */
module.exports = {
  key: 'addFaq',
  noun: 'FAQ',
  display: {
    label: 'Add FAQ to Knowledge Base',
    description: "Adds a question and its answer to a chatbot's knowledge base, so the chatbot can answer it.",
  },
  operation: {
    inputFields: [
      { key: 'chatbotId', label: 'Chatbot', dynamic: 'chatbotList.id.name', required: true },
      { key: 'question', label: 'Question', type: 'string', required: true, helpText: 'What visitors ask, e.g. "Do you work on weekends?"' },
      { key: 'answer', label: 'Answer', type: 'text', required: true, helpText: 'What the chatbot should answer.' },
    ],
    perform: async (z, bundle) => {
      const response = await z.request({
        url: `${baseUrl(bundle)}/api/portal/chatbots/${encodeURIComponent(bundle.inputData.chatbotId)}/knowledge`,
        method: 'POST',
        body: { kind: 'faq', question: bundle.inputData.question, answer: bundle.inputData.answer },
      });
      return response.data;
    },
    sample: {
      id: 'kb_Zm9vYmFyYmF6MDAx',
      chatbotId: 'bot_xyz123abc456',
      kind: 'faq',
      title: 'Do you work on weekends?',
      question: 'Do you work on weekends?',
      answer: 'Yes, we take emergency calls on Saturdays and Sundays.',
      text: null,
      createdAt: '2026-05-03T14:30:00Z',
      updatedAt: '2026-05-03T14:30:00Z',
    },
    outputFields: [
      { key: 'id', label: 'Entry ID' },
      { key: 'chatbotId', label: 'Chatbot ID' },
      { key: 'question', label: 'Question' },
      { key: 'answer', label: 'Answer' },
      { key: 'createdAt', label: 'Created', type: 'datetime' },
    ],
  },
};
