import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router';
import { api } from '../api/client';
import { useChatbotNames, usePagedList } from '../api/queries';
import type { ConversationDetail, ConversationItem, TranscriptMessage } from '../api/types';
import { ChatbotSelect } from '../components/chatbot-select';
import { EmptyState, ErrorNotice, LoadMore, Loading, PageHeader, StatusBadge } from '../components/ui';
import { formatDateTime, formatRelative, humanize } from '../lib/format';
import { conversationOutcome, CONVERSATION_STATUS, ESCALATION_STATUS, formatConfidence } from '../lib/status-words';
import type { TestAnswer } from './chatbots/test-question-box';

/** List filters live in the URL, so a filtered view can be bookmarked and survives a reload. */
export function useUrlFilters<K extends string>(keys: readonly K[]): [Record<K, string>, (key: K, value: string) => void] {
  const [params, setParams] = useSearchParams();
  const values = Object.fromEntries(keys.map((key) => [key, params.get(key) ?? ''])) as Record<K, string>;
  const set = (key: K, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  return [values, set];
}

export function ConversationsPage() {
  const [filters, setFilter] = useUrlFilters(['chatbotId', 'status', 'since'] as const);
  const nameOf = useChatbotNames();
  const list = usePagedList<ConversationItem>('/api/portal/conversations', {
    chatbotId: filters.chatbotId || undefined, status: filters.status || undefined,
    since: filters.since ? new Date(`${filters.since}T00:00:00`).toISOString() : undefined,
  });
  return (
    <>
      <PageHeader title="Conversations" description="Every chat visitors had with your bots, newest first." />
      <div className="filters card">
        <label htmlFor="conv-bot">Chatbot</label>
        <ChatbotSelect id="conv-bot" value={filters.chatbotId} onChange={(v) => setFilter('chatbotId', v)} />
        <label htmlFor="conv-status">Status</label>
        <select id="conv-status" value={filters.status} onChange={(e) => setFilter('status', e.target.value)}>
          <option value="">Any</option>
          <option value="open">{CONVERSATION_STATUS.open!.label}</option>
          <option value="ended">Ended</option>
        </select>
        <label htmlFor="conv-since">Since</label>
        <input id="conv-since" type="date" value={filters.since} onChange={(e) => setFilter('since', e.target.value)} />
      </div>
      {list.isPending ? <Loading /> : list.isError ? <ErrorNotice error={list.error} /> : list.data.items.length === 0 ? (
        <EmptyState title="No conversations yet">
          <p>Conversations appear here as soon as a visitor writes to one of your chatbots. <Link to="/chatbots">Install a chatbot</Link> on your site, or try it on the Appearance tab's preview.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap card">
          <table className="table-stack">
            <thead>
              <tr><th scope="col">Started</th><th scope="col">First message</th><th scope="col">Chatbot</th><th scope="col">Intent</th><th scope="col">Messages</th><th scope="col">Outcome</th></tr>
            </thead>
            <tbody>
              {list.data.items.map((c) => (
                <tr key={c.id}>
                  <td data-label="Started"><Link to={`/conversations/${c.id}`}>{formatDateTime(c.startedAt)}</Link></td>
                  <td data-label="First message" className="cell-text">{c.firstMessage ?? '—'}</td>
                  <td data-label="Chatbot">{nameOf(c.chatbotId)}</td>
                  <td data-label="Intent">{humanize(c.intent)}</td>
                  <td data-label="Messages">{c.messageCount}</td>
                  <td data-label="Outcome">
                    {conversationOutcome(c).map((word) => <StatusBadge key={word.label} status={word.badge} label={word.label} />)}
                  </td>
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

const ROLE_LABEL: Record<string, string> = { visitor: 'Visitor', assistant: 'Bot', agent: 'Agent', system: 'System' };

/** What the visitor wrote just before a bot answer: the question that answer answered. */
function questionBefore(messages: TranscriptMessage[], messageId: string): string {
  const index = messages.findIndex((m) => m.id === messageId);
  return messages.slice(0, Math.max(0, index)).reverse().find((m) => m.role === 'visitor')?.text ?? '';
}

/**
 * The confidence the engine gave this answer, and the same question asked again now at the same turn (the
 * conversation before it replayed): the figure "Test a question" shows, on the same scale. It can only differ
 * when the knowledge or the settings changed since.
 */
function AnswerConfidence({ chatbotId, conversationId, messageId, confidence, question }: { chatbotId: string; conversationId: string; messageId: string; confidence: number; question: string }) {
  const check = useMutation({
    mutationFn: () => api.post<TestAnswer>(`/api/portal/chatbots/${chatbotId}/test-question`, { question, conversationId, messageId }),
  });
  return (
    <span className="muted">
      {' '}· confidence {formatConfidence(confidence)}
      {question ? (
        check.data
          ? <span className="answer-recheck" role="status"> · asked again now: {formatConfidence(check.data.confidence)}{check.data.answered ? '' : ' (would not answer)'}</span>
          : <>{' '}<button type="button" className="button-link" disabled={check.isPending} onClick={() => check.mutate()}>{check.isPending ? 'Checking…' : 'Check again now'}</button></>
      ) : null}
      {check.error ? <ErrorNotice error={check.error} /> : null}
    </span>
  );
}

export function ConversationPage() {
  const { conversationId = '' } = useParams();
  const nameOf = useChatbotNames();
  const conversation = useQuery({
    queryKey: ['/api/portal/conversations', conversationId],
    queryFn: () => api.get<ConversationDetail>(`/api/portal/conversations/${encodeURIComponent(conversationId)}`),
  });
  if (conversation.isPending) return <Loading />;
  if (conversation.isError) return <ErrorNotice error={conversation.error} />;
  const c = conversation.data;
  return (
    <>
      <PageHeader title="Conversation" description={<>{nameOf(c.chatbotId)} · started {formatDateTime(c.startedAt)} · <code>{c.id}</code></>} actions={<Link to="/conversations" className="button">All conversations</Link>} />
      <div className="split split-wide-left">
        <section className="card transcript" aria-label="Transcript">
          {c.messages.map((m) => (
            <div key={m.id} className={`message message-${m.role}`}>
              <div className="message-meta">
                <strong>{m.authorName ?? ROLE_LABEL[m.role] ?? m.role}</strong>
                <span className="muted small">{formatDateTime(m.createdAt)}</span>
                {m.role === 'visitor' && m.intent ? <span className="muted small">intent: {humanize(m.intent)}</span> : null}
              </div>
              <p className="bubble">{m.text}</p>
              {m.role === 'assistant' ? (
                <div className="message-extra small">
                  {m.answeredBy === 'model' ? <span className="badge badge-model" title="Written by this chatbot's language model from the cited knowledge">AI model</span> : null}
                  {m.sources.length > 0 ? <>Sources: {m.sources.map((s) => <span key={s.id} className="source-chip">{s.title}</span>)}</> : <span className="muted">No knowledge entry used</span>}
                  {m.confidence !== null && m.sources.length > 0 ? <AnswerConfidence chatbotId={c.chatbotId} conversationId={c.id} messageId={m.id} confidence={m.confidence} question={questionBefore(c.messages, m.id)} /> : null}
                  {m.rating ? (
                    <span className={m.rating.rating === 'up' ? 'text-good' : 'text-bad'}>
                      {' '}· rated {m.rating.rating === 'up' ? 'helpful (thumbs up)' : 'not helpful (thumbs down)'}{m.rating.comment ? `: “${m.rating.comment}”` : ''}
                    </span>
                  ) : null}
                </div>
              ) : null}
            </div>
          ))}
        </section>
        <aside className="card">
          <h2>Details</h2>
          <dl className="details">
            <dt>Intent</dt><dd>{humanize(c.intent)}</dd>
            <dt>Status</dt><dd>{conversationOutcome({ ...c, leadId: null }).map((word) => word.label).join(' · ')}{c.status === 'ended' ? ` ${formatRelative(c.endedAt)}` : ''}</dd>
            <dt>Page</dt><dd className="cell-text">{c.pageUrl ?? '—'}</dd>
            <dt>Referrer</dt><dd className="cell-text">{c.referrer ?? '—'}</dd>
            <dt>Locale</dt><dd>{c.locale ?? '—'}</dd>
            <dt>Messages</dt><dd>{c.messageCount}</dd>
          </dl>
          <h2>Lead</h2>
          {c.lead ? (
            <dl className="details">
              <dt>Name</dt><dd>{c.lead.name ?? '—'}</dd>
              <dt>Email</dt><dd>{c.lead.email ?? '—'}</dd>
              <dt>Phone</dt><dd>{c.lead.phone ?? '—'}</dd>
              <dt>Intent</dt><dd>{humanize(c.lead.intent)}</dd>
            </dl>
          ) : <p className="muted">No lead captured.</p>}
          <h2>Escalation</h2>
          {c.escalation ? (
            <dl className="details">
              <dt>Reason</dt><dd>{humanize(c.escalation.reason)}</dd>
              <dt>Status</dt><dd><StatusBadge status={ESCALATION_STATUS[c.escalation.status]?.badge ?? c.escalation.status} label={ESCALATION_STATUS[c.escalation.status]?.label ?? c.escalation.status} /></dd>
              <dt>Created</dt><dd>{formatDateTime(c.escalation.createdAt)}</dd>
            </dl>
          ) : <p className="muted">Not escalated.</p>}
          {c.satisfaction ? (
            <>
              <h2>Visitor's rating</h2>
              <dl className="details">
                <dt>Score</dt><dd>{c.satisfaction.score} / 5{c.satisfaction.agentName ? ` for ${c.satisfaction.agentName}` : ''}</dd>
                <dt>Comment</dt><dd className="cell-text">{c.satisfaction.comment ?? '—'}</dd>
                <dt>Rated</dt><dd>{formatDateTime(c.satisfaction.ratedAt)}</dd>
              </dl>
            </>
          ) : null}
        </aside>
      </div>
    </>
  );
}
