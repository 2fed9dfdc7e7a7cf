import { Link } from 'react-router';
import { CopyButton, Notice } from '../../components/ui';
import { useCurrentChatbot } from './chatbot-layout';

/** The one-line snippet a customer pastes into their site. */
export function buildInstallSnippet(origin: string, chatbotId: string): string {
  return `<script src="${origin}/widget.js" data-chatbot-id="${chatbotId}" async></script>`;
}

export function InstallTab() {
  const chatbot = useCurrentChatbot();
  const snippet = buildInstallSnippet(window.location.origin, chatbot.id);
  const origins = chatbot.settings.allowedOrigins;
  return (
    <section className="card">
      <h2>Add the chat to your website</h2>
      <ol className="steps">
        <li>Copy this line.</li>
        <li>Paste it just before <code>&lt;/body&gt;</code> on every page where the chat should appear (or in your site builder's “custom code” box).</li>
        <li>Reload your site: the chat button appears in the corner.</li>
      </ol>
      <div className="snippet">
        <pre><code>{snippet}</code></pre>
        <CopyButton text={snippet} label="Copy snippet" />
      </div>
      {origins.length === 0 ? (
        <Notice kind="info">
          The chat currently works on any website. Once it is live, list your site under <Link to="../settings">Settings → Allowed websites</Link> so nobody else can embed your bot.
        </Notice>
      ) : (
        <Notice kind="info">The chat answers only on: {origins.join(', ')}. Change this in <Link to="../settings">Settings</Link>.</Notice>
      )}
    </section>
  );
}
