'use strict';

const zapier = require('zapier-platform-core');
const authentication = require('./authentication');
const { addApiKey, explainProblems } = require('./lib/api');
const newLead = require('./triggers/new-lead');
const updatedLead = require('./triggers/updated-lead');
const newEscalation = require('./triggers/new-escalation');
const newConversation = require('./triggers/new-conversation');
const newSatisfactionRating = require('./triggers/new-satisfaction-rating');
const chatbotList = require('./triggers/chatbot-list');
const addFaq = require('./creates/add-faq');

/**
 * FusionChatalyst for Zapier. Self-contained on purpose: the Zapier CLI uploads this folder alone, so
 * nothing here may import from the other packages of the repository.
 */
module.exports = {
  version: require('./package.json').version,
  platformVersion: zapier.version,
  authentication,
  beforeRequest: [addApiKey],
  afterResponse: [explainProblems],
  triggers: {
    [newLead.key]: newLead,
    [updatedLead.key]: updatedLead,
    [newEscalation.key]: newEscalation,
    [newConversation.key]: newConversation,
    [newSatisfactionRating.key]: newSatisfactionRating,
    [chatbotList.key]: chatbotList,
  },
  creates: {
    [addFaq.key]: addFaq,
  },
};
