import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { useChatbotNames, usePagedList } from '../../api/queries';
import { ErrorNotice, Loading, PageHeader, StatusBadge } from '../../components/ui';
import { formatDateTime } from '../../lib/format';
import { ApiKeysTable, CreateApiKeyForm } from './account-page';
import { SheetsCard } from './sheets-pages';

const ZAPIER_HOOKS_PATH = '/api/portal/integrations/zapier/hooks';

interface ZapierHook {
  id: string;
  event: string;
  targetUrl: string;
  chatbotId: string | null;
  status: 'active' | 'unsubscribed';
  statusReason: string | null;
  createdAt: string;
}

/**
 * The Zaps subscribed through the Zapier app. (This card used to probe `/api/zapier/me` to learn whether the
 * server had the app's API; that route takes only the add-on's X-API-Key, so the portal's probe always logged a
 * 401. The portal's own list route answers the same question with the session.)
 */
function ZapierSubscriptions() {
  const queryClient = useQueryClient();
  const botName = useChatbotNames();
  const list = usePagedList<ZapierHook>(ZAPIER_HOOKS_PATH, {}, 50);
  const remove = useMutation({
    mutationFn: (id: string) => api.delete(`${ZAPIER_HOOKS_PATH}/${id}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [ZAPIER_HOOKS_PATH] }),
  });
  if (list.isPending) return <Loading />;
  if (list.isError) return <ErrorNotice error={list.error} />;
  if (list.data.items.length === 0) return <p className="muted small">No Zap is subscribed yet: turning a Zap on in Zapier makes it appear here.</p>;
  return (
    <div className="table-wrap">
      <table aria-label="Zapier subscriptions">
        <thead><tr><th scope="col">Trigger</th><th scope="col">Chatbot</th><th scope="col">Status</th><th scope="col">Since</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          {list.data.items.map((hook) => (
            <tr key={hook.id}>
              <td><code>{hook.event}</code></td>
              <td>{botName(hook.chatbotId)}</td>
              <td><StatusBadge status={hook.status === 'active' ? 'active' : 'disabled'} label={hook.status === 'active' ? 'Active' : 'Unsubscribed'} />{hook.statusReason ? <span className="muted small"> {hook.statusReason}</span> : null}</td>
              <td>{formatDateTime(hook.createdAt)}</td>
              <td className="row-actions">
                <button type="button" className="button button-small button-danger" disabled={remove.isPending} onClick={() => { if (window.confirm('Remove this subscription? The Zap stops receiving events until it is turned on again in Zapier.')) remove.mutate(hook.id); }}>Remove</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorNotice error={remove.error} />
    </div>
  );
}

export function IntegrationsPage() {
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
          The app offers the triggers <em>New lead</em>, <em>Updated lead</em>, <em>New escalation</em> and <em>New conversation</em> (and the action <em>Add FAQ</em>), and connects with an API key.
        </p>
        <ol className="steps">
          <li>Create an API key below and name it “Zapier”. Copy it: it is shown once.</li>
          <li>In Zapier, choose FusionChatalyst as the trigger app and paste the key when asked to connect.</li>
          <li>Pick the trigger and, optionally, one chatbot. Zapier loads recent real leads as samples.</li>
        </ol>
        <CreateApiKeyForm defaultName="Zapier" />
        <ApiKeysTable />
        <h3>Subscribed Zaps</h3>
        <ZapierSubscriptions />
      </section>
      <SheetsCard />
    </>
  );
}
