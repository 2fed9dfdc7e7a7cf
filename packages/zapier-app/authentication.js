'use strict';

const { baseUrl } = require('./lib/api');

/** Custom auth: an API key from Settings → Integrations, checked against GET /api/zapier/me. */
module.exports = {
  type: 'custom',
  fields: [
    {
      key: 'apiKey',
      label: 'API Key',
      type: 'password',
      required: true,
      helpText: 'Create a key in FusionChatalyst under **Settings → Integrations → API keys** and paste it here.',
    },
    {
      key: 'baseUrl',
      label: 'FusionChatalyst Address',
      type: 'string',
      required: false,
      helpText: 'Leave empty for FusionChatalyst cloud. If you run FusionChatalyst yourself, enter its address, e.g. `https://chat.example.com`.',
    },
  ],
  test: async (z, bundle) => {
    const response = await z.request({ url: `${baseUrl(bundle)}/api/zapier/me` });
    return response.data;
  },
  // bundle.inputData is what `test` answered: the account and the key's name.
  connectionLabel: (z, bundle) => `${bundle.inputData.customer.name} (${bundle.inputData.apiKey.name})`,
};
