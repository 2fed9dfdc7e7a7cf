import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { PageHeader } from '../../components/ui';
import { ApiKeysTable, CreateApiKeyForm } from './account-page';

/** Whether this server already answers the Zapier add-on's REST-hook API (it arrives with the integrations work). */
function useZapierApiAvailable() {
  return useQuery({
    queryKey: ['zapier-api'],
    queryFn: async () => {
      const response = await fetch('/api/zapier/me', { headers: { accept: 'application/json' } });
      // Read the (no-store) answer to its end: Chromium leaves a request whose body nobody reads open, which
      // kept the page from ever going network-idle once API answers stopped being cacheable.
      await response.text();
      return response.status !== 404;
    },
    staleTime: 5 * 60_000,
  });
}

export function IntegrationsPage() {
  const zapier = useZapierApiAvailable();
  return (
    <>
      <PageHeader title="Integrations" description="Connect your chatbot to 5,000+ apps without writing code." />
      <section className="card">
        <h2>Zapier</h2>
        <h3>Option 1: Webhooks by Zapier (works today)</h3>
        <ol className="steps">
          <li>In Zapier, create a Zap with the trigger <strong>Webhooks by Zapier → Catch Hook</strong> and copy the URL it gives you.</li>
          <li>Here, <Link to="/settings/webhooks/new">add a webhook</Link> with that URL and the events you want (e.g. <code>lead.captured</code>).</li>
          <li>Press <strong>Send test</strong> on the webhook: Zapier receives a sample with the same fields as real leads, so you can map them to Google Sheets, Gmail, your CRM…</li>
        </ol>
        <h3>Option 2: the FusionChatalyst Zapier app</h3>
        <p>
          The app offers the triggers <em>New lead</em>, <em>New escalation</em> and <em>New conversation</em>, and connects with an API key.
          {zapier.data === false ? ' This server does not offer the Zapier app’s API yet; use option 1 meanwhile.' : ''}
        </p>
        <ol className="steps">
          <li>Create an API key below and name it “Zapier”. Copy it: it is shown once.</li>
          <li>In Zapier, choose FusionChatalyst as the trigger app and paste the key when asked to connect.</li>
          <li>Pick the trigger and, optionally, one chatbot. Zapier loads recent real leads as samples.</li>
        </ol>
        <CreateApiKeyForm defaultName="Zapier" />
        <ApiKeysTable />
      </section>
      <section className="card">
        <h2>Google Sheets</h2>
        <p className="muted">Logging every lead and escalation straight into a Google Sheet with a service account is coming. Until then, Zapier (above) can add a row per lead.</p>
      </section>
    </>
  );
}
