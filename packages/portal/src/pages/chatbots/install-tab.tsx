import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { ApiError, api } from '../../api/client';
import { CopyButton, ErrorNotice, Field, Notice } from '../../components/ui';
import { INSTALL_GUIDES, type PlatformId } from '../../lib/install-guides';
import { useCurrentChatbot } from './chatbot-layout';

/** The one-line snippet a customer pastes into their site. */
export function buildInstallSnippet(origin: string, chatbotId: string): string {
  return `<script src="${origin}/widget.js" data-chatbot-id="${chatbotId}" async></script>`;
}

/** What `POST /api/portal/chatbots/:id/site-check` answers. */
interface SiteCheckReport {
  result: 'found' | 'found_other' | 'not_found' | 'fetch_failed';
  url: string;
  finalUrl: string | null;
  statusCode: number | null;
  chatbotIds: string[];
  tagManager: boolean;
  reason: string | null;
  detail: string;
  truncated: boolean;
}

const RESULT_NOTICE: Record<SiteCheckReport['result'], { kind: 'success' | 'warning' | 'error'; title: string }> = {
  found: { kind: 'success', title: 'The chat is installed.' },
  found_other: { kind: 'warning', title: 'A different chatbot is installed.' },
  not_found: { kind: 'warning', title: 'The snippet is not on this page yet.' },
  fetch_failed: { kind: 'error', title: 'We could not read this page.' },
};

function SiteCheck({ chatbotId, suggestedUrl }: { chatbotId: string; suggestedUrl: string }) {
  const [url, setUrl] = useState(suggestedUrl);
  const check = useMutation({
    mutationFn: (address: string) => api.post<SiteCheckReport>(`/api/portal/chatbots/${chatbotId}/site-check`, { url: address }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    check.mutate(url);
  };
  const fieldError = check.error instanceof ApiError ? check.error.fieldErrors.find((error) => error.field === 'url')?.message : undefined;
  const report = check.data;
  return (
    <section className="card" aria-labelledby="site-check-title">
      <h2 id="site-check-title">Check my site</h2>
      <p className="muted small">We open the page from our server and look for this chatbot’s snippet, as it is after your site builder publishes it.</p>
      <form className="site-check" onSubmit={submit}>
        <Field id="site-check-url" label="Page address" hint="For example https://www.yourshop.com/ — the home page is enough when the snippet is on every page." error={fieldError}>
          <input id="site-check-url" type="text" inputMode="url" autoComplete="url" value={url} onChange={(event) => setUrl(event.target.value)} placeholder="https://www.yourshop.com/" required />
        </Field>
        <button type="submit" className="button button-primary" disabled={check.isPending || url.trim() === ''}>{check.isPending ? 'Checking…' : 'Check my site'}</button>
      </form>
      {check.isError && !fieldError ? <ErrorNotice error={check.error} /> : null}
      {report ? (
        <Notice kind={RESULT_NOTICE[report.result].kind}>
          <strong>{RESULT_NOTICE[report.result].title}</strong> {report.detail}
          {report.finalUrl && report.finalUrl !== report.url ? <span className="small"> (redirected from {report.url})</span> : null}
        </Notice>
      ) : null}
    </section>
  );
}

export function InstallTab() {
  const chatbot = useCurrentChatbot();
  const snippet = buildInstallSnippet(window.location.origin, chatbot.id);
  const origins = chatbot.settings.allowedOrigins;
  const [platform, setPlatform] = useState<PlatformId>('html');
  const guide = INSTALL_GUIDES.find((candidate) => candidate.id === platform) ?? INSTALL_GUIDES[0];
  const suggestedUrl = origins.find((origin) => !origin.includes('*')) ?? '';
  return (
    <>
      <section className="card">
        <h2>Add the chat to your website</h2>
        <ol className="steps">
          <li>Copy this line.</li>
          <li>Paste it just before <code>&lt;/body&gt;</code> on every page where the chat should appear (or in your site builder's “custom code” box: see the guides below).</li>
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

      <section className="card" aria-labelledby="install-guides-title">
        <h2 id="install-guides-title">Step by step for your site builder</h2>
        <div className="guide-picker" role="group" aria-label="Site builder">
          {INSTALL_GUIDES.map((candidate) => (
            <button key={candidate.id} type="button" className={`button button-small${candidate.id === platform ? ' button-primary' : ''}`} aria-pressed={candidate.id === platform} onClick={() => setPlatform(candidate.id)}>
              {candidate.name}
            </button>
          ))}
        </div>
        {guide ? (
          <div className="install-guide" data-platform={guide.id}>
            <h3>{guide.name}</h3>
            {guide.note ? <p className="muted small">{guide.note}</p> : null}
            <ol className="steps">
              {guide.steps.map((step) => <li key={step}>{step}</li>)}
            </ol>
            <p className="small">Your snippet:</p>
            <div className="guide-snippet">
              <pre><code>{snippet}</code></pre>
              <CopyButton text={snippet} label="Copy snippet" />
            </div>
          </div>
        ) : null}
      </section>

      <SiteCheck chatbotId={chatbot.id} suggestedUrl={suggestedUrl} />
    </>
  );
}
