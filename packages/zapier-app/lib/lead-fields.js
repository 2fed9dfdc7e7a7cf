'use strict';

/** The output fields of a lead delivery (the default mapping of lead.captured and lead.updated), shared by both triggers. */
module.exports = [
  { key: 'name', label: 'Name' },
  { key: 'email', label: 'Email' },
  { key: 'phone', label: 'Phone (E.164)' },
  { key: 'chatbot_name', label: 'Chatbot Name' },
  { key: 'intent', label: 'Intent' },
];
