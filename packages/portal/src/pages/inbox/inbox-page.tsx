import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api, toQuery } from '../../api/client';
import { useSession } from '../../api/session';
import type { Page } from '../../api/types';
import { EmptyState, ErrorNotice, Loading, PageHeader, StatusBadge } from '../../components/ui';
import { formatRelative, humanize } from '../../lib/format';
import { HANDOFF_STATE, type HandoffState } from '../../lib/status-words';
import './inbox.css';

/** Wire shapes of `/api/portal/inbox` (server: modules/handoff/handoff.routes.ts). */

interface InboxItem {
  id: string;
  chatbotId: string;
  chatbotName: string;
  state: HandoffState;
  agentId: string | null;
  agentName: string | null;
  isMine: boolean;
  unreadCount: number;
  lastMessageAt: string;
  lastMessage: string | null;
  messageCount: number;
  escalation: { id: string; reason: string; status: string; createdAt: string } | null;
  visitor: { name: string | null; email: string | null; phone: string | null };
  /** The visitor's 1–5 rating after a person resolved the conversation. */
  satisfaction: { score: number; comment: string | null; agentName: string | null; ratedAt: string } | null;
}

interface InboxMessage {
  id: string;
  role: 'visitor' | 'assistant' | 'agent' | 'system';
  text: string;
  createdAt: string;
  authorName?: string | null;
}

type InboxConversation = InboxItem & { messages: InboxMessage[] };

const STATE_LABELS = Object.fromEntries(Object.entries(HANDOFF_STATE).map(([state, word]) => [state, word.label])) as Record<HandoffState, string>;
const STATE_BADGES = Object.fromEntries(Object.entries(HANDOFF_STATE).map(([state, word]) => [state, word.badge])) as Record<HandoffState, string>;
const FILTERS: { value: '' | HandoffState; label: string }[] = [
  { value: '', label: 'All' }, { value: 'waiting_for_human', label: 'Waiting' }, { value: 'human', label: 'With a person' }, { value: 'resolved', label: 'Resolved' },
];
const INBOX_KEY = ['inbox'] as const;

/**
 * Follows `/api/portal/inbox/events` (Server-Sent Events through the live bus): every change refetches the
 * inbox queries, so new escalations and visitor messages appear without a reload. EventSource reconnects by
 * itself; `ready` after each (re)connect refetches once, so nothing sent while disconnected is missed.
 */
function useInboxStream(): boolean {
  const queryClient = useQueryClient();
  const [isLive, setLive] = useState(false);
  useEffect(() => {
    const source = new EventSource('/api/portal/inbox/events');
    const refresh = () => void queryClient.invalidateQueries({ queryKey: INBOX_KEY });
    source.addEventListener('ready', () => {
      setLive(true);
      refresh();
    });
    source.addEventListener('inbox', refresh);
    source.onerror = () => setLive(false);
    return () => source.close();
  }, [queryClient]);
  return isLive;
}

function visitorLabel(item: InboxItem): string {
  return item.visitor.name ?? item.visitor.email ?? item.visitor.phone ?? 'Visitor';
}

function handlerLabel(item: InboxItem): string {
  if (item.state === 'human') return item.isMine ? 'You' : item.agentName ?? 'A team member';
  if (item.state === 'waiting_for_human') return 'Nobody yet';
  return item.state === 'bot' ? 'The bot' : 'Done';
}

function speaker(message: InboxMessage, item: InboxItem): string {
  if (message.role === 'visitor') return visitorLabel(item);
  if (message.role === 'agent') return message.authorName ?? 'Team member';
  if (message.role === 'assistant') return `${item.chatbotName} (bot)`;
  return 'Notice';
}

/** Five stars, `score` of them filled: drawn with CSS on text, read out as "4 of 5". */
function Stars({ score }: { score: number }) {
  return (
    <span className="stars" role="img" aria-label={`${score} of 5`}>
      {[1, 2, 3, 4, 5].map((n) => <span key={n} aria-hidden="true" className={n <= score ? 'star on' : 'star'}>★</span>)}
    </span>
  );
}

/** What the visitor said about the help they got (asked in the widget once a person resolves the chat). */
function SatisfactionNote({ item }: { item: InboxItem }) {
  const rating = item.satisfaction;
  if (!rating) return item.state === 'resolved' ? <p className="muted small">The visitor has been asked to rate the help they got.</p> : null;
  return (
    <div className="satisfaction" aria-label="Visitor's rating">
      <Stars score={rating.score} />
      <strong>{rating.score} / 5</strong>
      <span className="muted small">for {rating.agentName ?? 'your team'} · {formatRelative(rating.ratedAt)}</span>
      {rating.comment ? <q className="satisfaction-comment">{rating.comment}</q> : null}
    </div>
  );
}

function Conversation({ id }: { id: string }) {
  const queryClient = useQueryClient();
  const [text, setText] = useState('');
  const transcript = useRef<HTMLOListElement>(null);
  const query = useQuery({
    queryKey: [...INBOX_KEY, 'conversation', id],
    queryFn: ({ signal }) => api.get<InboxConversation>(`/api/portal/inbox/${encodeURIComponent(id)}`, { signal }),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: INBOX_KEY });
  const action = useMutation({
    mutationFn: (name: 'claim' | 'hand-back' | 'resolve') => api.post(`/api/portal/inbox/${encodeURIComponent(id)}/${name}`),
    onSettled: refresh,
  });
  const reply = useMutation({
    mutationFn: (body: string) => api.post(`/api/portal/inbox/${encodeURIComponent(id)}/reply`, { text: body }),
    onSuccess: () => setText(''),
    onSettled: refresh,
  });
  const unread = query.data?.unreadCount ?? 0;
  useEffect(() => {
    // Opening a conversation reads it; new visitor messages arriving while it is open are read too.
    if (unread > 0) void api.post(`/api/portal/inbox/${encodeURIComponent(id)}/read`).then(() => queryClient.invalidateQueries({ queryKey: INBOX_KEY }), () => undefined);
  }, [id, unread, queryClient]);
  const count = query.data?.messages.length ?? 0;
  useEffect(() => {
    transcript.current?.scrollTo({ top: transcript.current.scrollHeight });
  }, [count]);

  if (query.isPending) return <Loading />;
  if (query.isError) return <ErrorNotice error={query.error} />;
  const item = query.data;
  const canReply = item.state === 'human' && item.isMine;
  const canClaim = (item.state === 'waiting_for_human' || item.state === 'bot') && item.escalation?.status === 'open';
  const heldByOther = item.state === 'human' && !item.isMine;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim()) reply.mutate(text.trim());
  };

  return (
    <section className="card" aria-labelledby="inbox-conversation-title">
      <div className="card-row">
        <div>
          <h2 id="inbox-conversation-title" className="card-title">{visitorLabel(item)}</h2>
          <p className="muted small">
            {item.chatbotName} · {humanize(item.escalation?.reason)} · <StatusBadge status={STATE_BADGES[item.state]} label={STATE_LABELS[item.state]} />
            {item.state === 'human' ? <> · handled by <strong>{handlerLabel(item)}</strong></> : null}
          </p>
          {item.visitor.email || item.visitor.phone ? (
            <p className="small">
              {item.visitor.email ? <a href={`mailto:${item.visitor.email}`}>{item.visitor.email}</a> : null}
              {item.visitor.email && item.visitor.phone ? ' · ' : null}
              {item.visitor.phone ? <a href={`tel:${item.visitor.phone}`}>{item.visitor.phone}</a> : null}
            </p>
          ) : null}
        </div>
        <div className="row-actions">
          {canClaim ? <button type="button" className="button button-primary" disabled={action.isPending} onClick={() => action.mutate('claim')}>Claim</button> : null}
          {item.state === 'human' && item.isMine ? <button type="button" className="button" disabled={action.isPending} onClick={() => action.mutate('hand-back')}>Hand back to bot</button> : null}
          {item.escalation?.status === 'open' && !heldByOther ? <button type="button" className="button" disabled={action.isPending} onClick={() => action.mutate('resolve')}>Resolve</button> : null}
        </div>
      </div>
      <SatisfactionNote item={item} />
      <ErrorNotice error={action.error} />
      <ol className="transcript" ref={transcript} aria-label="Messages">
        {item.messages.map((message) => (
          <li key={message.id} className={`msg msg-${message.role}`}>
            {message.role === 'system' ? null : <div className="msg-who">{speaker(message, item)}</div>}
            <div className="msg-bubble">{message.text}</div>
          </li>
        ))}
      </ol>
      {canReply ? (
        <form className="inline-form" onSubmit={submit}>
          <div className="field">
            <label htmlFor="inbox-reply">Reply to {visitorLabel(item)}</label>
            <textarea id="inbox-reply" rows={2} maxLength={4000} value={text} onChange={(e) => setText(e.target.value)}
              onKeyDown={(e) => { if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) submit(e); }} />
          </div>
          <button type="submit" className="button button-primary" disabled={reply.isPending || !text.trim()}>Send</button>
        </form>
      ) : (
        <p className="muted small">
          {heldByOther ? `${item.agentName ?? 'Another team member'} is handling this conversation.`
            : item.state === 'resolved' ? 'Resolved. If the visitor asks for a person again, it comes back here.'
            : 'Claim the conversation to reply: the bot stays quiet while you do.'}
        </p>
      )}
      <ErrorNotice error={reply.error} />
    </section>
  );
}

interface Presence { userId: string; name: string | null; email: string; role: 'owner' | 'agent'; online: boolean; lastSeenAt: string | null }

/**
 * Who else is here: teammates with the inbox open now. Fetched once this page's own stream is live (so the list
 * includes this tab; a first fetch still in flight is not repeated when the stream's `ready` arrives), then on every
 * inbox event (someone opening or closing the inbox is one) and every 30 s, since a teammate whose browser died
 * drops off only when their presence goes stale.
 */
function TeamPresence({ isLive }: { isLive: boolean }) {
  const presence = useQuery({
    queryKey: [...INBOX_KEY, 'presence'],
    queryFn: ({ signal }) => api.get<Page<Presence>>('/api/portal/inbox/presence', { signal }),
    enabled: isLive,
    refetchInterval: 30_000,
  });
  const me = useSession().data?.user?.id;
  if (!presence.data) return null;
  const online = presence.data.items.filter((p) => p.online);
  return (
    <section aria-label="Team in the inbox">
      <ul className="presence-list">
        <li className="muted small">Online in the inbox:</li>
        {online.length === 0 ? <li className="muted small">nobody yet</li> : online.map((p) => (
          <li key={p.userId} className="small"><span className="presence-dot on" aria-hidden="true" />{p.name ?? p.email}{p.userId === me ? ' (you)' : ''}</li>
        ))}
      </ul>
    </section>
  );
}

/** The live inbox: escalated conversations in real time; claim, reply, hand back, resolve. */
export function InboxPage() {
  const [params, setParams] = useSearchParams();
  const state = (params.get('state') ?? '') as '' | HandoffState;
  const selected = params.get('conversation');
  const isLive = useInboxStream();
  const list = useQuery({
    queryKey: [...INBOX_KEY, 'list', state],
    queryFn: ({ signal }) => api.get<Page<InboxItem>>(`/api/portal/inbox${toQuery({ state, limit: 100 })}`, { signal }),
  });
  const select = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: key === 'state' });
  };

  return (
    <>
      <PageHeader
        title="Inbox"
        description={<><span className={`live-dot${isLive ? ' on' : ''}`} aria-hidden="true" />{isLive ? 'Live: new escalations and messages appear here as they happen.' : 'Connecting…'}</>}
      />
      <TeamPresence isLive={isLive} />
      <div className="segmented" role="group" aria-label="Show">
        {FILTERS.map((f) => (
          <button key={f.value} type="button" className={state === f.value ? 'active' : ''} aria-pressed={state === f.value} onClick={() => select('state', f.value)}>{f.label}</button>
        ))}
      </div>
      {list.isPending ? <Loading /> : list.isError ? <ErrorNotice error={list.error} /> : list.data.items.length === 0 && !selected ? (
        <EmptyState title="Nobody is waiting">
          <p>When a visitor asks for a person (or the bot cannot help), the conversation appears here at once. Claim it and reply: the visitor sees your answer in the chat window.</p>
        </EmptyState>
      ) : (
        <div className="inbox-layout">
          <nav className="card" aria-label="Escalated conversations">
            <ul className="inbox-list">
              {list.data.items.map((item) => (
                <li key={item.id}>
                  <button type="button" className="inbox-item" aria-current={item.id === selected} onClick={() => select('conversation', item.id)}>
                    <span className="inbox-item-top">
                      <span className="inbox-item-name">{visitorLabel(item)}</span>
                      {item.unreadCount > 0 ? <span className="unread" aria-label={`${item.unreadCount} unread`}>{item.unreadCount}</span> : null}
                    </span>
                    <span className="inbox-preview" style={{ display: 'block' }}>{item.lastMessage ?? '—'}</span>
                    <span className="inbox-meta">
                      <StatusBadge status={STATE_BADGES[item.state]} label={STATE_LABELS[item.state]} />
                      <span className="muted">{handlerLabel(item)} · {formatRelative(item.lastMessageAt)}</span>
                      {item.satisfaction ? <span className="rated" title={item.satisfaction.comment ?? undefined}>Rated {item.satisfaction.score}/5</span> : null}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </nav>
          {selected ? <Conversation key={selected} id={selected} /> : <p className="muted">Pick a conversation to read it.</p>}
        </div>
      )}
    </>
  );
}
