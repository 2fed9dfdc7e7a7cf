'use strict';

const { baseUrl } = require('./api');

/** Keys every FusionChatalyst event carries after its mapped fields (contract section 4). */
const ENVELOPE_FIELDS = [
  { key: 'eventType', label: 'Event Type' },
  { key: 'eventTimestamp', label: 'Event Time', type: 'datetime' },
  // Zapier dedupes on the primary key; every delivery of one event carries the same eventId.
  { key: 'eventId', label: 'Event ID', primary: true },
  { key: 'customerId', label: 'Account ID' },
  { key: 'chatbotId', label: 'Chatbot ID' },
  { key: 'conversationId', label: 'Conversation ID' },
];

const chatbotFilter = {
  key: 'chatbotId',
  label: 'Chatbot',
  dynamic: 'chatbotList.id.name',
  required: false,
  helpText: 'Only events of this chatbot. Leave empty for all of your chatbots.',
};

/**
 * An instant trigger on one FusionChatalyst event type, as a REST hook: turning the Zap on subscribes
 * Zapier's hook URL (POST /api/zapier/hooks), turning it off removes it (DELETE /api/zapier/hooks/:id).
 * Deliveries arrive exactly as webhooks do; `perform` passes them on unchanged, and `performList` fetches
 * recent real ones in the same shape (GET /api/zapier/samples/:event).
 */
const createHookTrigger = ({ key, noun, label, description, event, fields, sample }) => ({
  key,
  noun,
  display: { label, description },
  operation: {
    type: 'hook',
    inputFields: [chatbotFilter],

    performSubscribe: async (z, bundle) => {
      const body = { event, targetUrl: bundle.targetUrl };
      if (bundle.inputData.chatbotId) body.chatbotId = bundle.inputData.chatbotId;
      const response = await z.request({ url: `${baseUrl(bundle)}/api/zapier/hooks`, method: 'POST', body });
      return response.data;
    },

    performUnsubscribe: async (z, bundle) => {
      const id = bundle.subscribeData && bundle.subscribeData.id;
      const response = await z.request({
        url: `${baseUrl(bundle)}/api/zapier/hooks/${encodeURIComponent(id)}`,
        method: 'DELETE',
        skipThrowForStatus: true,
      });
      // 404: already gone (FusionChatalyst drops a subscription whose hook URL answered 410).
      if (response.status !== 204 && response.status !== 404) response.throwForStatus();
      return { id, removed: response.status === 204 };
    },

    perform: (z, bundle) => [bundle.cleanedRequest],

    performList: async (z, bundle) => {
      const params = bundle.inputData.chatbotId ? { chatbotId: bundle.inputData.chatbotId } : {};
      const response = await z.request({ url: `${baseUrl(bundle)}/api/zapier/samples/${event}`, params });
      return response.data;
    },

    sample,
    outputFields: [...fields, ...ENVELOPE_FIELDS],
  },
});

module.exports = { createHookTrigger, ENVELOPE_FIELDS };
