import './widget-preview.css';

/**
 * The Appearance tab's live preview: this page loads /widget.js the way a customer's site does, for the
 * chatbot named in `?chatbotId=`. A separate tiny entry (not the portal app), so the iframe is light and no
 * inline script is needed under the server's CSP.
 */
const chatbotId = new URLSearchParams(window.location.search).get('chatbotId') ?? '';
if (/^bot_[A-Za-z0-9_-]{8,40}$/.test(chatbotId)) {
  const script = document.createElement('script');
  script.src = '/widget.js';
  script.async = true;
  script.dataset.chatbotId = chatbotId;
  document.body.appendChild(script);
} else {
  document.querySelector('main')?.insertAdjacentHTML('beforeend', '<p><strong>No chatbot selected.</strong></p>');
}
