import { useQuery } from '@tanstack/react-query';
import { BarElement, CategoryScale, Chart as ChartJS, Legend, LinearScale, LineElement, PointElement, Tooltip } from 'chart.js';
import { useState } from 'react';
import { Bar, Line } from 'react-chartjs-2';
import { Link } from 'react-router';
import { ApiError, api, toQuery } from '../api/client';
import { useChatbots } from '../api/queries';
import type { Page, Stats, Webhook } from '../api/types';
import { ChatbotSelect } from '../components/chatbot-select';
import { EmptyState, ErrorNotice, Loading, PageHeader, StatusBadge } from '../components/ui';
import { formatRelative } from '../lib/format';
import { webhookHealth } from '../lib/webhook-health';

ChartJS.register(CategoryScale, LinearScale, BarElement, LineElement, PointElement, Tooltip, Legend);

const RANGES = [7, 30, 90] as const;
const COLORS = { conversations: '#2563eb', leads: '#059669', escalations: '#d97706', up: '#059669', down: '#dc2626' };

function shortDate(date: string): string {
  return new Date(`${date}T00:00:00Z`).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

function DeliveryHealth() {
  const webhooks = useQuery({
    queryKey: ['/api/portal/webhooks', 'health'],
    queryFn: () => api.get<Page<Webhook>>('/api/portal/webhooks?limit=200'),
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 2,
  });
  if (webhooks.isPending) return <Loading />;
  if (webhooks.isError) return <ErrorNotice error={webhooks.error} />;
  const items = webhooks.data.items;
  if (items.length === 0) {
    return <p className="muted">No webhooks yet. <Link to="/settings/webhooks/new">Send leads to your CRM or any URL</Link>.</p>;
  }
  const sorted = [...items].sort((a, b) => webhookHealth(a).rank - webhookHealth(b).rank);
  return (
    <ul className="health-list">
      {sorted.map((hook) => {
        const health = webhookHealth(hook);
        return (
          <li key={hook.id} className={`health-item health-${health.state}`}>
            <StatusBadge status={health.state} label={health.label} />
            <Link to={`/settings/webhooks/${hook.id}`} className="health-url">{hook.url}</Link>
            <span className="muted small">{health.detail}{hook.health.lastSuccessAt ? ` · last success ${formatRelative(hook.health.lastSuccessAt)}` : ''}</span>
          </li>
        );
      })}
    </ul>
  );
}

/** How visitors rated the help a person gave them (1–5, asked in the widget after an agent resolves the chat). */
function SatisfactionCard({ satisfaction }: { satisfaction: Stats['satisfaction'] | undefined }) {
  const average = satisfaction?.average ?? null;
  return (
    <div className="stat-card">
      <span className="stat-label">Team satisfaction</span>
      <span className="stat-value">{satisfaction ? (average === null ? '—' : <>{average.toFixed(1)}<span className="stat-unit"> / 5</span></>) : '…'}</span>
      <span className="muted small">
        {satisfaction ? (satisfaction.count === 0 ? 'No ratings yet: visitors are asked after you resolve a chat' : `${satisfaction.count} rating${satisfaction.count === 1 ? '' : 's'} after a person helped`) : ''}
      </span>
    </div>
  );
}

export function DashboardPage() {
  const [days, setDays] = useState<number>(30);
  const [chatbotId, setChatbotId] = useState('');
  const chatbots = useChatbots();
  const stats = useQuery({
    queryKey: ['/api/portal/stats', days, chatbotId],
    queryFn: () => api.get<Stats>(`/api/portal/stats${toQuery({ days, chatbotId })}`),
  });

  if (chatbots.data?.length === 0) {
    return (
      <>
        <PageHeader title="Dashboard" />
        <EmptyState title="Welcome to FusionChatalyst">
          <p>Start by creating a chatbot: give it a name, add a few questions and answers, and paste one line on your website.</p>
          <Link className="button button-primary" to="/chatbots">Create your first chatbot</Link>
        </EmptyState>
      </>
    );
  }

  const labels = stats.data?.days.map((d) => shortDate(d.date)) ?? [];
  const totals = stats.data?.totals;
  const rated = totals ? totals.ratingsUp + totals.ratingsDown : 0;

  return (
    <>
      <PageHeader
        title="Dashboard"
        actions={(
          <div className="filters">
            <label className="visually-hidden" htmlFor="dash-bot">Chatbot</label>
            <ChatbotSelect id="dash-bot" value={chatbotId} onChange={setChatbotId} />
            <div className="segmented" role="group" aria-label="Period">
              {RANGES.map((range) => (
                <button key={range} type="button" className={days === range ? 'active' : ''} aria-pressed={days === range} onClick={() => setDays(range)}>{range} days</button>
              ))}
            </div>
          </div>
        )}
      />
      {stats.isError ? <ErrorNotice error={stats.error} /> : null}
      <div className="stat-cards">
        <div className="stat-card"><span className="stat-label">Conversations</span><span className="stat-value">{totals?.conversations ?? '…'}</span></div>
        <div className="stat-card"><span className="stat-label">Leads</span><span className="stat-value">{totals?.leads ?? '…'}</span></div>
        <div className="stat-card"><span className="stat-label">Escalations</span><span className="stat-value">{totals?.escalations ?? '…'}</span></div>
        <div className="stat-card">
          <span className="stat-label">Helpful answers</span>
          <span className="stat-value">{totals ? (rated === 0 ? '—' : `${Math.round((totals.ratingsUp / rated) * 100)}%`) : '…'}</span>
          <span className="muted small">{totals ? `${totals.ratingsUp} helpful · ${totals.ratingsDown} not helpful` : ''}</span>
        </div>
        <SatisfactionCard satisfaction={stats.data?.satisfaction} />
      </div>
      <div className="chart-grid">
        <section className="card">
          <h2>Conversations, leads and escalations per day</h2>
          {stats.isPending ? <Loading /> : stats.data ? (
            <div className="chart-box">
              <Line
                aria-label="Conversations, leads and escalations per day"
                role="img"
                options={{ responsive: true, maintainAspectRatio: false, interaction: { mode: 'index', intersect: false }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }}
                data={{
                  labels,
                  datasets: [
                    { label: 'Conversations', data: stats.data.days.map((d) => d.conversations), borderColor: COLORS.conversations, backgroundColor: COLORS.conversations, tension: 0.2 },
                    { label: 'Leads', data: stats.data.days.map((d) => d.leads), borderColor: COLORS.leads, backgroundColor: COLORS.leads, tension: 0.2 },
                    { label: 'Escalations', data: stats.data.days.map((d) => d.escalations), borderColor: COLORS.escalations, backgroundColor: COLORS.escalations, tension: 0.2 },
                  ],
                }}
              />
            </div>
          ) : null}
        </section>
        <section className="card">
          <h2>Answer ratings per day</h2>
          {stats.isPending ? <Loading /> : stats.data ? (
            <div className="chart-box">
              <Bar
                aria-label="Thumbs up and thumbs down per day"
                role="img"
                options={{ responsive: true, maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }}
                data={{
                  labels,
                  datasets: [
                    { label: 'Helpful', data: stats.data.days.map((d) => d.ratingsUp), backgroundColor: COLORS.up },
                    { label: 'Not helpful', data: stats.data.days.map((d) => d.ratingsDown), backgroundColor: COLORS.down },
                  ],
                }}
              />
            </div>
          ) : null}
          {totals && totals.ratingsDown > 0 ? <p className="small"><Link to="/training">Review the answers visitors did not like</Link></p> : null}
        </section>
      </div>
      <section className="card">
        <h2>Delivery health</h2>
        <DeliveryHealth />
      </section>
      <p className="muted small">Days are counted in UTC.</p>
      {stats.data && stats.data.model.totals.calls + stats.data.model.totals.skipped > 0 ? (
        <section className="card" aria-label="Language model">
          <h2>Language model</h2>
          <p className="muted small">
            {stats.data.model.totals.calls} {stats.data.model.totals.calls === 1 ? 'call' : 'calls'}: {stats.data.model.totals.answered} answered, {stats.data.model.totals.declined} found no answer,
            {' '}{stats.data.model.totals.failures} failed (the built-in engine answered) · {stats.data.model.totals.skipped} turns over the daily token limit ·
            {' '}{stats.data.model.totals.tokens.toLocaleString()} tokens
          </p>
          <div className="chart-box">
            <Bar
              aria-label="Language-model calls per day"
              role="img"
              options={{ responsive: true, maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }}
              data={{
                labels,
                datasets: [
                  { label: 'Answered', data: stats.data.model.days.map((d) => d.answered), backgroundColor: '#7c3aed' },
                  { label: 'No answer found', data: stats.data.model.days.map((d) => d.declined), backgroundColor: '#c4b5fd' },
                  { label: 'Failed (fallback)', data: stats.data.model.days.map((d) => d.failures), backgroundColor: COLORS.down },
                  { label: 'Over token limit', data: stats.data.model.days.map((d) => d.skipped), backgroundColor: '#9ca3af' },
                ],
              }}
            />
          </div>
        </section>
      ) : null}
    </>
  );
}
