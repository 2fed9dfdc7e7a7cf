import { Link } from 'react-router';
import { toQuery } from '../api/client';
import { useChatbotNames, usePagedList } from '../api/queries';
import type { Escalation, Lead } from '../api/types';
import { ChatbotSelect } from '../components/chatbot-select';
import { EmptyState, ErrorNotice, LoadMore, Loading, PageHeader, StatusBadge } from '../components/ui';
import { ESCALATION_STATUS } from '../lib/status-words';
import { formatDateTime, humanize } from '../lib/format';
import { useUrlFilters } from './conversations-pages';

function sinceIso(date: string): string | undefined {
  return date ? new Date(`${date}T00:00:00`).toISOString() : undefined;
}

export function LeadsPage() {
  const [filters, setFilter] = useUrlFilters(['chatbotId', 'since'] as const);
  const nameOf = useChatbotNames();
  const query = { chatbotId: filters.chatbotId || undefined, since: sinceIso(filters.since) };
  const list = usePagedList<Lead>('/api/portal/leads', query);
  return (
    <>
      <PageHeader
        title="Leads"
        description="Contact details visitors left in the chat."
        actions={<a className="button" href={`/api/portal/leads/export.csv${toQuery(query)}`} download>Export CSV</a>}
      />
      <div className="filters card">
        <label htmlFor="lead-bot">Chatbot</label>
        <ChatbotSelect id="lead-bot" value={filters.chatbotId} onChange={(v) => setFilter('chatbotId', v)} />
        <label htmlFor="lead-since">Since</label>
        <input id="lead-since" type="date" value={filters.since} onChange={(e) => setFilter('since', e.target.value)} />
      </div>
      {list.isPending ? <Loading /> : list.isError ? <ErrorNotice error={list.error} /> : list.data.items.length === 0 ? (
        <EmptyState title="No leads yet">
          <p>When a visitor asks for a quote or a booking, the bot asks for their name, phone and email, and the lead lands here (and in your webhooks).</p>
        </EmptyState>
      ) : (
        <div className="table-wrap card">
          <table className="table-stack">
            <thead>
              <tr><th scope="col">Received</th><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Phone</th><th scope="col">Wants</th><th scope="col">Chatbot</th><th scope="col"><span className="visually-hidden">Conversation</span></th></tr>
            </thead>
            <tbody>
              {list.data.items.map((lead) => (
                <tr key={lead.id}>
                  <td data-label="Received">{formatDateTime(lead.createdAt)}</td>
                  <td data-label="Name">{lead.name ?? '—'}</td>
                  <td data-label="Email" className="cell-text">{lead.email ? <a href={`mailto:${lead.email}`}>{lead.email}</a> : '—'}</td>
                  <td data-label="Phone">{lead.phone ? <a href={`tel:${lead.phone}`}>{lead.phone}</a> : '—'}</td>
                  <td data-label="Wants">{humanize(lead.intent)}</td>
                  <td data-label="Chatbot">{nameOf(lead.chatbotId)}</td>
                  <td><Link to={`/conversations/${lead.conversationId}`}>Conversation</Link></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onLoad={() => void list.fetchNextPage()} />
    </>
  );
}

export function EscalationsPage() {
  const [filters, setFilter] = useUrlFilters(['chatbotId', 'status'] as const);
  const nameOf = useChatbotNames();
  const list = usePagedList<Escalation>('/api/portal/escalations', { chatbotId: filters.chatbotId || undefined, status: filters.status || undefined });
  return (
    <>
      <PageHeader title="Escalations" description="Conversations the bot handed to a human: call or email these visitors back." />
      <div className="filters card">
        <label htmlFor="esc-status">Status</label>
        <select id="esc-status" value={filters.status} onChange={(e) => setFilter('status', e.target.value)}>
          <option value="">All</option>
          <option value="open">Open</option>
          <option value="resolved">Resolved</option>
        </select>
        <label htmlFor="esc-bot">Chatbot</label>
        <ChatbotSelect id="esc-bot" value={filters.chatbotId} onChange={(v) => setFilter('chatbotId', v)} />
      </div>
      {list.isPending ? <Loading /> : list.isError ? <ErrorNotice error={list.error} /> : list.data.items.length === 0 ? (
        <EmptyState title={filters.status === 'open' ? 'Nothing waiting for you' : 'No escalations yet'}>
          <p>When a visitor asks for a person, gets angry, complains or the bot cannot answer, the conversation is escalated and shows up here.</p>
        </EmptyState>
      ) : (
        <ul className="inbox">
          {list.data.items.map((e) => (
            <li key={e.id} className={`card inbox-item${e.status === 'open' ? ' inbox-open' : ''}`}>
              <div className="inbox-head">
                <StatusBadge status={ESCALATION_STATUS[e.status]?.badge ?? e.status} label={ESCALATION_STATUS[e.status]?.label ?? e.status} />
                <strong>{humanize(e.reason)}</strong>
                <span className="muted small">{formatDateTime(e.createdAt)} · {nameOf(e.chatbotId)}</span>
              </div>
              {e.lastMessage ? <p className="bubble">“{e.lastMessage}”</p> : null}
              <Link to={`/conversations/${e.conversationId}`}>Read the conversation</Link>
            </li>
          ))}
        </ul>
      )}
      <LoadMore hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onLoad={() => void list.fetchNextPage()} />
    </>
  );
}
