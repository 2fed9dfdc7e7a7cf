import { Link } from 'react-router';
import { useChatbotNames, usePagedList } from '../../api/queries';
import type { Webhook } from '../../api/types';
import { EmptyState, ErrorNotice, LoadMore, Loading, PageHeader, StatusBadge } from '../../components/ui';
import { formatRelative } from '../../lib/format';
import { webhookHealth } from '../../lib/webhook-health';

export function WebhooksPage() {
  const list = usePagedList<Webhook>('/api/portal/webhooks', {});
  const nameOf = useChatbotNames();
  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Send every new lead, escalation and conversation to your CRM, a spreadsheet tool or your own server."
        actions={<Link className="button button-primary" to="/settings/webhooks/new">Add webhook</Link>}
      />
      {list.isPending ? <Loading /> : list.isError ? <ErrorNotice error={list.error} /> : list.data.items.length === 0 ? (
        <EmptyState title="No webhooks yet">
          <p>Add the URL of your CRM, of Zapier/Make’s “catch hook”, or of your own server. Presets for HubSpot, Salesforce and Pipedrive fill in the fields for you.</p>
          <Link className="button button-primary" to="/settings/webhooks/new">Add your first webhook</Link>
        </EmptyState>
      ) : (
        <ul className="card-list">
          {list.data.items.map((hook) => {
            const health = webhookHealth(hook);
            return (
              <li key={hook.id} className={`card card-row health-${health.state}`}>
                <div className="grow">
                  <h2 className="card-title"><Link to={`/settings/webhooks/${hook.id}`} className="break">{hook.url}</Link></h2>
                  <p className="small">
                    <StatusBadge status={health.state} label={health.label} /> <span className={health.rank <= 1 ? 'text-bad' : 'muted'}>{health.detail}</span>
                  </p>
                  <p className="muted small">
                    {hook.events.join(', ')} · {nameOf(hook.chatbotId)} · {hook.signingMode === 'hmac-sha256' ? 'HMAC signed' : 'shared secret'}
                    {hook.preset ? ` · ${hook.preset} preset` : ''}
                    {hook.health.lastSuccessAt ? ` · last delivered ${formatRelative(hook.health.lastSuccessAt)}` : ''}
                  </p>
                </div>
                <Link className="button button-small" to={`/settings/webhooks/${hook.id}`}>Open</Link>
              </li>
            );
          })}
        </ul>
      )}
      <LoadMore hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onLoad={() => void list.fetchNextPage()} />
    </>
  );
}
