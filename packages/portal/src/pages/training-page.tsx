import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import { useChatbotNames, usePagedList } from '../api/queries';
import type { Paraphrase, Review } from '../api/types';
import { EmptyState, ErrorNotice, LoadMore, Loading, Notice, PageHeader, StatusBadge } from '../components/ui';
import { formatDateTime } from '../lib/format';
import { TestQuestionBox } from './chatbots/test-question-box';
import { useUrlFilters } from './conversations-pages';

function ReviewCard({ review }: { review: Review }) {
  const queryClient = useQueryClient();
  const nameOf = useChatbotNames();
  const [answer, setAnswer] = useState('');
  const [question, setQuestion] = useState(review.question);
  // The card stays on screen after it is fixed (showing the re-check) until the list is next loaded.
  const [current, setCurrent] = useState(review);
  const resolve = useMutation({
    mutationFn: () => api.post<{ review: Review }>(`/api/portal/reviews/${review.id}/resolve`, { answer: answer.trim(), ...(question.trim() !== review.question ? { question: question.trim() } : {}) }),
    onSuccess: (result) => {
      setCurrent(result.review);
      void queryClient.invalidateQueries({ queryKey: ['/api/portal/reviews'], refetchType: 'none' });
    },
  });
  const dismiss = useMutation({
    mutationFn: () => api.post<Review>(`/api/portal/reviews/${review.id}/dismiss`),
    onSuccess: (result) => {
      setCurrent(result);
      void queryClient.invalidateQueries({ queryKey: ['/api/portal/reviews'], refetchType: 'none' });
    },
  });
  const isOpen = current.status === 'open';
  const answerId = `better-${review.id}`;
  return (
    <li className="card review">
      <div className="inbox-head">
        <StatusBadge status={current.status} label={current.status === 'open' ? 'To review' : current.status === 'resolved' ? 'Fixed' : 'Dismissed'} />
        <span className="muted small">{formatDateTime(review.createdAt)} · {nameOf(review.chatbotId)} · <Link to={`/conversations/${review.conversationId}`}>conversation</Link></span>
      </div>
      <p className="bubble bubble-visitor"><span className="visually-hidden">Visitor asked: </span>{review.question || <em>(no question)</em>}</p>
      <p className="bubble bubble-bot"><span className="visually-hidden">Bot answered: </span>{review.answer}</p>
      <p className="small">
        {review.sources.length > 0 ? <>Answered from: {review.sources.map((s) => <span key={s.id} className="source-chip">{s.title}</span>)}</> : <span className="muted">No knowledge entry was used.</span>}
      </p>
      {review.comment ? <p className="small">Visitor's comment: “{review.comment}”</p> : null}
      {isOpen ? (
        <form onSubmit={(e) => { e.preventDefault(); if (answer.trim()) resolve.mutate(); }}>
          <details>
            <summary className="small">Edit the question it should answer</summary>
            <label htmlFor={`q-${review.id}`} className="visually-hidden">Question</label>
            <input id={`q-${review.id}`} value={question} onChange={(e) => setQuestion(e.target.value)} maxLength={1000} />
          </details>
          <label htmlFor={answerId}>A better answer</label>
          <textarea id={answerId} rows={3} value={answer} onChange={(e) => setAnswer(e.target.value)} maxLength={10_000} placeholder="What the bot should say next time" />
          <ErrorNotice error={resolve.error ?? dismiss.error} />
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={resolve.isPending || answer.trim() === ''}>{resolve.isPending ? 'Saving…' : 'Save the better answer'}</button>
            <button type="button" className="button" disabled={dismiss.isPending} onClick={() => dismiss.mutate()}>Dismiss</button>
          </div>
        </form>
      ) : null}
      {current.status === 'resolved' ? (
        <>
          <Notice kind="success">Saved as a trained answer. Check what the bot says now:</Notice>
          <TestQuestionBox chatbotId={current.chatbotId} initialQuestion={question.trim() || current.question} compact />
        </>
      ) : null}
    </li>
  );
}

function ParaphraseCard({ paraphrase }: { paraphrase: Paraphrase }) {
  const queryClient = useQueryClient();
  const nameOf = useChatbotNames();
  const [current, setCurrent] = useState(paraphrase);
  const decide = useMutation({
    mutationFn: (decision: 'approve' | 'dismiss') => api.post<Paraphrase>(`/api/portal/paraphrases/${paraphrase.id}/${decision}`, {}),
    onSuccess: (result) => {
      setCurrent(result);
      void queryClient.invalidateQueries({ queryKey: ['/api/portal/paraphrases'], refetchType: 'none' });
    },
  });
  return (
    <li className="card paraphrase">
      <div className="inbox-head">
        <StatusBadge status={current.status === 'suggested' ? 'open' : current.status === 'approved' ? 'resolved' : 'dismissed'} label={current.status === 'suggested' ? 'Suggested' : current.status === 'approved' ? 'Approved' : 'Dismissed'} />
        <span className="muted small">{formatDateTime(paraphrase.createdAt)} · {nameOf(paraphrase.chatbotId)} · <Link to={`/conversations/${paraphrase.conversationId}`}>conversation</Link></span>
      </div>
      <p className="bubble bubble-visitor"><span className="visually-hidden">Visitor asked: </span>{paraphrase.question}</p>
      <p className="small">Liked the answer from: <span className="source-chip">{paraphrase.entry.title}</span></p>
      <ErrorNotice error={decide.error} />
      {current.status === 'suggested' ? (
        <div className="form-actions">
          <button type="button" className="button button-primary" disabled={decide.isPending} onClick={() => decide.mutate('approve')}>Approve this wording</button>
          <button type="button" className="button" disabled={decide.isPending} onClick={() => decide.mutate('dismiss')}>Dismiss</button>
        </div>
      ) : current.status === 'approved' ? (
        <Notice kind="success">Approved: visitors who ask it this way now get this entry's answer.</Notice>
      ) : null}
    </li>
  );
}

/** Thumbs-ups suggest wordings; nothing changes for visitors until the owner approves one here. */
function SuggestedParaphrases() {
  const list = usePagedList<Paraphrase>('/api/portal/paraphrases', { status: 'suggested' });
  return (
    <section aria-labelledby="paraphrases-heading">
      <h2 id="paraphrases-heading">Suggested wordings</h2>
      <p className="muted">Visitors gave these answers a thumbs-up. Approve a wording and the bot treats it as another way to ask that entry; a rating alone never changes what the bot says.</p>
      {list.isPending ? <Loading /> : list.isError ? <ErrorNotice error={list.error} /> : list.data.items.length === 0 ? (
        <p className="muted small">No suggestions waiting.</p>
      ) : (
        <ul className="inbox">{list.data.items.map((p) => <ParaphraseCard key={p.id} paraphrase={p} />)}</ul>
      )}
      <LoadMore hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onLoad={() => void list.fetchNextPage()} />
    </section>
  );
}

export function TrainingPage() {
  const [filters, setFilter] = useUrlFilters(['status'] as const);
  const status = filters.status || 'open';
  const list = usePagedList<Review>('/api/portal/reviews', { status: status === 'all' ? undefined : status });
  return (
    <>
      <PageHeader title="Training" description="Answers visitors gave a thumbs-down: write what the bot should have said and it answers that from now on. Below, the wordings their thumbs-ups suggest, for you to approve." />
      <div className="filters card">
        <label htmlFor="review-status">Show</label>
        <select id="review-status" value={status} onChange={(e) => setFilter('status', e.target.value === 'open' ? '' : e.target.value)}>
          <option value="open">To review</option>
          <option value="resolved">Fixed</option>
          <option value="dismissed">Dismissed</option>
          <option value="all">All</option>
        </select>
      </div>
      {list.isPending ? <Loading /> : list.isError ? <ErrorNotice error={list.error} /> : list.data.items.length === 0 ? (
        <EmptyState title={status === 'open' ? 'Nothing to review' : 'Nothing here'}>
          <p>When a visitor gives an answer a thumbs-down, it appears here with the question, the answer and the knowledge it came from.</p>
        </EmptyState>
      ) : (
        <ul className="inbox">{list.data.items.map((r) => <ReviewCard key={r.id} review={r} />)}</ul>
      )}
      <LoadMore hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onLoad={() => void list.fetchNextPage()} />
      <SuggestedParaphrases />
    </>
  );
}
