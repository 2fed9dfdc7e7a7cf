import './widget-preview.css';

/**
 * The Appearance tab's live preview: this page loads /widget.js the way a customer's site does, for the
 * chatbot named in `?chatbotId=`. A separate tiny entry (not the portal app), so the iframe is light and no
 * inline script is needed under the server's CSP.
 */
const chatbotId = new URLSearchParams(window.location.search).get('chatbotId') ?? '';

/**
 * Browsers may cache the widget's public config for a minute (it is served with max-age=60 so busy sites
 * cost little). Re-fetching it with `cache: 'reload'` first refreshes that cache entry, so the widget shows
 * the look the customer has just saved instead of the one from a minute ago.
 */
async function loadWidget(id: string): Promise<void> {
  await fetch(`/api/public/chatbots/${encodeURIComponent(id)}/widget`, { cache: 'reload' }).catch(() => undefined);
  const script = document.createElement('script');
  script.src = '/widget.js';
  script.async = true;
  script.dataset.chatbotId = id;
  document.body.appendChild(script);
}

if (/^bot_[A-Za-z0-9_-]{8,40}$/.test(chatbotId)) {
  void loadWidget(chatbotId);
} else {
  const note = document.createElement('p');
  note.textContent = 'No chatbot selected.';
  document.querySelector('main')?.appendChild(note);
}
