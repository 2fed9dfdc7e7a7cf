import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import { ErrorNotice } from '../../components/ui';
import { humanize } from '../../lib/format';
import { formatConfidence } from '../../lib/status-words';

/** What `POST /api/portal/chatbots/:id/test-question` answers: the bot's reply, without recording a conversation. */
export interface TestAnswer {
  /** `new`: asked as a new conversation's first message; `conversation`: at a recorded turn. */
  context: 'new' | 'conversation';
  answer: string;
  answered: boolean;
  confidence: number;
  intent: string | null;
  sources: { id: string; title: string }[];
  escalation: { reason: string } | null;
  /** What the chatbot's language model made of it (understanding mode), or null. */
  model: {
    status: 'answered' | 'declined' | 'failed' | 'skipped';
    reason: string | null;
    passages: { id: string; entryId: string; title: string; used: boolean }[];
    elapsedMs: number | null;
  } | null;
}

const MODEL_STATUS: Record<NonNullable<TestAnswer['model']>['status'], string> = {
  answered: 'The language model answered from the knowledge',
  declined: 'The language model found no answer in the knowledge',
  failed: 'The language model failed, so the built-in engine answered',
  skipped: 'The language model was not asked',
};

/** What the model answered, which passages it was given and used, and why it declined or failed. */
function ModelOutcome({ model }: { model: NonNullable<TestAnswer['model']> }) {
  return (
    <div className="model-outcome small" aria-label="Language model">
      <p>
        <span className={model.status === 'answered' ? 'badge badge-model' : model.status === 'failed' ? 'badge badge-bad' : 'badge badge-neutral'}>AI model</span>
        {MODEL_STATUS[model.status]}{model.reason ? `: ${model.reason}` : ''}{model.elapsedMs !== null ? ` · ${model.elapsedMs} ms` : ''}
      </p>
      {model.passages.length > 0 ? (
        <p className="muted">
          Passages given: {model.passages.map((p) => <span key={p.id} className={p.used ? 'source-chip source-used' : 'source-chip'} title={p.used ? 'cited by the answer' : 'not cited'}>{p.id} {p.title}{p.used ? ' ✓' : ''}</span>)}
        </p>
      ) : null}
    </div>
  );
}

/** Asks the chatbot a question the way a visitor would, and shows the answer with the entries it came from. */
export function TestQuestionBox({ chatbotId, initialQuestion = '', compact = false }: { chatbotId: string; initialQuestion?: string; compact?: boolean }) {
  const [question, setQuestion] = useState(initialQuestion);
  const ask = useMutation({
    mutationFn: (text: string) => api.post<TestAnswer>(`/api/portal/chatbots/${chatbotId}/test-question`, { question: text }),
  });
  const inputId = `test-question-${chatbotId}${compact ? '-c' : ''}`;
  return (
    <section className={compact ? 'test-question compact' : 'card test-question'} aria-label="Test a question">
      {compact ? null : <h2>Test a question</h2>}
      {compact ? null : <p className="muted small">See what the bot answers now. Nothing is recorded and no webhook fires.</p>}
      <form onSubmit={(e) => { e.preventDefault(); if (question.trim()) ask.mutate(question.trim()); }} className="inline-form">
        <label htmlFor={inputId} className="visually-hidden">Question to ask the bot</label>
        <input id={inputId} value={question} onChange={(e) => setQuestion(e.target.value)} placeholder="e.g. What are your opening hours?" maxLength={2000} />
        <button type="submit" className="button" disabled={ask.isPending || question.trim() === ''}>{ask.isPending ? 'Asking…' : compact ? 'Re-check' : 'Ask'}</button>
      </form>
      <ErrorNotice error={ask.error} />
      {ask.data ? (
        <div className="test-answer" aria-live="polite">
          <p className="bubble bubble-bot">{ask.data.answer}</p>
          <p className="small">
            {ask.data.sources.length > 0
              ? <>From: {ask.data.sources.map((s) => <span key={s.id} className="source-chip">{s.title}</span>)}</>
              : <span className="text-warn">No knowledge entry matched: the bot says it does not know.</span>}
          </p>
          <p className="muted small">
            Intent: {humanize(ask.data.intent)} · confidence {formatConfidence(ask.data.confidence)} (as the first message of a new conversation)
            {ask.data.escalation ? ` · would hand off to a human (${humanize(ask.data.escalation.reason)})` : ''}
          </p>
          {ask.data.model ? <ModelOutcome model={ask.data.model} /> : null}
        </div>
      ) : null}
    </section>
  );
}
