import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../../api/client';
import type { Plan } from '../../api/types';
import { CopyButton, ErrorNotice, Loading, Notice, PageHeader, StatusBadge } from '../../components/ui';
import { formatDate, formatDateTime, plural } from '../../lib/format';

export const PLAN_KEY = ['/api/portal/account/plan'] as const;

function Standing({ plan }: { plan: Plan }) {
  const { customer } = plan;
  if (customer.status === 'active') return <p><StatusBadge status="active" label="Active" /> Your chatbots answer visitors and every feature is on.</p>;
  if (customer.status === 'cancelled') {
    return <p><StatusBadge status="cancelled" label="Cancelled" /> Cancelled on {formatDate(customer.cancelledAt)}.</p>;
  }
  if (!customer.isActive) return <p><StatusBadge status="disabled" label="Trial ended" /> Your free trial ended on <strong>{formatDateTime(customer.trialEndsAt)}</strong>.</p>;
  const days = customer.trialDaysLeft ?? 0;
  return (
    <p>
      <StatusBadge status="trial" label="Free trial" /> {days === 0 ? 'Ends today' : `${plural(days, 'day')} left`}: it ends on <strong>{formatDateTime(customer.trialEndsAt)}</strong>. No card needed.
    </p>
  );
}

/** Account → Plan: the trial's end, what stops then (as the server enforces it), and how to continue. */
export function PlanPage() {
  const plan = useQuery({ queryKey: PLAN_KEY, queryFn: () => api.get<Plan>('/api/portal/account/plan') });
  if (plan.isPending) return <Loading />;
  if (plan.isError) return <ErrorNotice error={plan.error} />;
  const { customer, paymentProvider, activateCommand } = plan.data;
  const isLapsed = !customer.isActive;
  return (
    <>
      <PageHeader title="Plan" description="Your trial, what happens when it ends, and how to continue." actions={<Link className="button" to="/settings/account">Account & API keys</Link>} />
      <section className="card">
        <h2>{customer.name}</h2>
        <Standing plan={plan.data} />
      </section>
      {customer.status === 'active' ? null : (
        <section className="card">
          <h2>{isLapsed ? 'What has stopped' : 'What stops when the trial ends'}</h2>
          <ul className="plan-list">
            <li><strong>Your chatbots stop answering.</strong> The chat endpoint answers visitors <code>402 Payment Required</code> and the widget says “Chat is unavailable right now”. Ratings and conversation history in the widget stop too.</li>
            <li><strong>The portal becomes read-only.</strong> You can still view and export conversations, leads and settings; changes answer <code>402</code>. Revoking API keys, cancelling the account and logging out still work.</li>
            <li><strong>No new events.</strong> With no new chats there are no new webhook, Zapier or Google Sheets deliveries; deliveries already queued are still retried on their schedule.</li>
            <li><strong>Your data is kept.</strong> Nothing is deleted when the trial ends or the account is cancelled: FusionChatalyst deletes no account data automatically today.</li>
          </ul>
        </section>
      )}
      <section className="card">
        <h2>How to continue</h2>
        {paymentProvider ? (
          <p>Payments are handled by {paymentProvider}.</p>
        ) : (
          <>
            <Notice kind="info">Payment is not built in yet: there is no card form or checkout here, and no payment provider is connected.</Notice>
            <p>
              {customer.status === 'active' ? 'Your account was activated by the operator of this FusionChatalyst server.' : 'To continue, ask the operator of this FusionChatalyst server (if you run it yourself, that is you) to activate your account. In the server’s folder they run:'}
            </p>
            {customer.status === 'active' ? null : (
              <div className="snippet"><pre><code>{activateCommand}</code></pre><CopyButton text={activateCommand} /></div>
            )}
            <p className="muted small">Activation takes effect at once: the chatbots answer again and the portal can be changed again, with everything you set up during the trial.</p>
          </>
        )}
      </section>
    </>
  );
}
