import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useForm } from 'react-hook-form';
import { useSearchParams } from 'react-router';
import { api, fieldErrorsFor } from '../../api/client';
import { usePagedList } from '../../api/queries';
import type { KnowledgeEntry } from '../../api/types';
import { EmptyState, ErrorNotice, Field, LoadMore, Loading, Notice, describedBy } from '../../components/ui';
import { formatRelative } from '../../lib/format';
import { useDebouncedValue } from '../../lib/use-debounced-value';
import { useCurrentChatbot } from './chatbot-layout';
import { FileUploadPanel } from './file-upload-panel';
import { ImportPanel } from './import-panel';
import { SourcesList } from './sources-list';
import { WebsiteImportPanel } from './website-import-panel';
import { TestQuestionBox } from './test-question-box';

type Kind = '' | 'faq' | 'document' | 'curated';
const KIND_LABEL: Record<string, string> = { faq: 'FAQ', document: 'Document', curated: 'Trained answer' };

interface EntryValues { kind: 'faq' | 'document'; question: string; answer: string; title: string; text: string }
const EMPTY_ENTRY: EntryValues = { kind: 'faq', question: '', answer: '', title: '', text: '' };

function toEntryBody(values: EntryValues, forUpdate: boolean, kind: string): Record<string, string> {
  if (kind === 'document') return { ...(forUpdate ? {} : { kind: 'document' }), title: values.title.trim(), text: values.text.trim() };
  return { ...(forUpdate ? {} : { kind: 'faq' }), question: values.question.trim(), answer: values.answer.trim() };
}

/** Add or edit one FAQ pair or document. */
function EntryForm({ chatbotId, entry, onDone }: { chatbotId: string; entry?: KnowledgeEntry; onDone: () => void }) {
  const queryClient = useQueryClient();
  const editing = entry !== undefined;
  const { register, handleSubmit, watch, reset, setError, formState: { errors } } = useForm<EntryValues>({
    defaultValues: entry
      ? { kind: entry.kind === 'document' ? 'document' : 'faq', question: entry.question ?? '', answer: entry.answer ?? '', title: entry.title, text: entry.text ?? '' }
      : EMPTY_ENTRY,
  });
  const kind = editing ? (entry.kind === 'document' ? 'document' : 'faq') : watch('kind');
  const save = useMutation({
    mutationFn: (values: EntryValues) => (editing
      ? api.patch<KnowledgeEntry>(`/api/portal/chatbots/${chatbotId}/knowledge/${entry.id}`, toEntryBody(values, true, kind))
      : api.post<KnowledgeEntry>(`/api/portal/chatbots/${chatbotId}/knowledge`, toEntryBody(values, false, kind))),
    onSuccess: async () => {
      if (!editing) reset({ ...EMPTY_ENTRY, kind });
      await queryClient.invalidateQueries({ queryKey: [`/api/portal/chatbots/${chatbotId}/knowledge`] });
      onDone();
    },
    onError: (error) => {
      for (const [field, message] of Object.entries(fieldErrorsFor(error))) {
        if (['question', 'answer', 'title', 'text'].includes(field)) setError(field as keyof EntryValues, { message });
      }
    },
  });
  const prefix = editing ? `edit-${entry.id}` : 'new';
  return (
    <form onSubmit={handleSubmit((values) => save.mutate(values))} noValidate className="entry-form">
      {!editing ? (
        <fieldset className="segmented">
          <legend className="visually-hidden">Kind of entry</legend>
          <label><input type="radio" value="faq" {...register('kind')} /> Question &amp; answer</label>
          <label><input type="radio" value="document" {...register('kind')} /> Document</label>
        </fieldset>
      ) : null}
      {kind === 'faq' ? (
        <>
          <Field id={`${prefix}-question`} label="Question" hint="As a visitor would ask it." error={errors.question?.message}>
            <input id={`${prefix}-question`} {...describedBy(`${prefix}-question`, { hint: true, error: errors.question?.message })}
              {...register('question', { validate: (v) => kind !== 'faq' || v.trim() !== '' || 'Write the question.', maxLength: { value: 1_000, message: 'At most 1,000 characters.' } })} />
          </Field>
          <Field id={`${prefix}-answer`} label="Answer" error={errors.answer?.message}>
            <textarea id={`${prefix}-answer`} rows={3} {...describedBy(`${prefix}-answer`, { error: errors.answer?.message })}
              {...register('answer', { validate: (v) => kind !== 'faq' || v.trim() !== '' || 'Write the answer.', maxLength: { value: 10_000, message: 'At most 10,000 characters.' } })} />
          </Field>
        </>
      ) : (
        <>
          <Field id={`${prefix}-title`} label="Title" error={errors.title?.message}>
            <input id={`${prefix}-title`} {...describedBy(`${prefix}-title`, { error: errors.title?.message })}
              {...register('title', { validate: (v) => kind !== 'document' || v.trim() !== '' || 'Give the document a title.', maxLength: { value: 200, message: 'At most 200 characters.' } })} />
          </Field>
          <Field id={`${prefix}-text`} label="Text" hint="Paste a page of your site, a price list, your policies… The bot answers from its passages." error={errors.text?.message}>
            <textarea id={`${prefix}-text`} rows={8} {...describedBy(`${prefix}-text`, { hint: true, error: errors.text?.message })}
              {...register('text', { validate: (v) => kind !== 'document' || v.trim() !== '' || 'Paste the text.', maxLength: { value: 200_000, message: 'At most 200,000 characters.' } })} />
          </Field>
        </>
      )}
      <ErrorNotice error={save.error} title="Not saved." />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={save.isPending}>{save.isPending ? 'Saving…' : editing ? 'Save' : kind === 'faq' ? 'Add question' : 'Add document'}</button>
        {editing ? <button type="button" className="button" onClick={onDone}>Cancel</button> : null}
      </div>
    </form>
  );
}

function EntryRow({ chatbotId, entry }: { chatbotId: string; entry: KnowledgeEntry }) {
  const [editing, setEditing] = useState(false);
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () => api.delete(`/api/portal/chatbots/${chatbotId}/knowledge/${entry.id}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [`/api/portal/chatbots/${chatbotId}/knowledge`] }),
  });
  const body = entry.kind === 'document' ? entry.text ?? '' : entry.answer ?? '';
  return (
    <li className="entry">
      {editing ? <EntryForm chatbotId={chatbotId} entry={entry} onDone={() => setEditing(false)} /> : (
        <>
          <div className="entry-head">
            <span className={`badge badge-${entry.kind === 'curated' ? 'good' : 'neutral'}`}>{KIND_LABEL[entry.kind] ?? entry.kind}</span>
            <strong className="entry-title">{entry.kind === 'document' ? entry.title : entry.question}</strong>
          </div>
          <p className="entry-body">{body.length > 400 ? `${body.slice(0, 400)}…` : body}</p>
          <div className="entry-foot">
            <span className="muted small">updated {formatRelative(entry.updatedAt)}</span>
            <span className="row-actions">
              <button type="button" className="button button-small" onClick={() => setEditing(true)}>Edit</button>
              <button type="button" className="button button-small button-danger" disabled={remove.isPending}
                onClick={() => { if (window.confirm('Delete this entry?')) remove.mutate(); }}>Delete</button>
            </span>
          </div>
          <ErrorNotice error={remove.error} />
        </>
      )}
    </li>
  );
}

export function KnowledgeTab() {
  const chatbot = useCurrentChatbot();
  const [params] = useSearchParams();
  const [search, setSearch] = useState('');
  const [kind, setKind] = useState<Kind>('');
  const [panel, setPanel] = useState<'add' | 'import' | 'website' | 'files'>('add');
  const q = useDebouncedValue(search.trim(), 250);
  const entries = usePagedList<KnowledgeEntry>(`/api/portal/chatbots/${chatbot.id}/knowledge`, { q: q || undefined, kind: kind || undefined });
  const total = entries.data?.items.length ?? 0;
  const isNew = params.get('new') === '1';

  useEffect(() => {
    if (isNew) document.getElementById('new-question')?.focus();
  }, [isNew]);

  return (
    <div className="knowledge">
      {isNew && total === 0 && !q && !kind ? (
        <Notice kind="success">Your chatbot is ready. Add what your customers usually ask: a few questions and answers are enough to start.</Notice>
      ) : null}
      <div className="split">
        <section className="card">
          <div className="segmented" role="tablist" aria-label="Add knowledge">
            <button type="button" role="tab" aria-selected={panel === 'add'} className={panel === 'add' ? 'active' : ''} onClick={() => setPanel('add')}>Add one</button>
            <button type="button" role="tab" aria-selected={panel === 'import'} className={panel === 'import' ? 'active' : ''} onClick={() => setPanel('import')}>Bulk import</button>
            <button type="button" role="tab" aria-selected={panel === 'website'} className={panel === 'website' ? 'active' : ''} onClick={() => setPanel('website')}>Website</button>
            <button type="button" role="tab" aria-selected={panel === 'files'} className={panel === 'files' ? 'active' : ''} onClick={() => setPanel('files')}>Files</button>
          </div>
          {panel === 'add' ? <EntryForm chatbotId={chatbot.id} onDone={() => undefined} />
            : panel === 'import' ? <ImportPanel chatbotId={chatbot.id} />
              : panel === 'website' ? <WebsiteImportPanel chatbotId={chatbot.id} /> : <FileUploadPanel chatbotId={chatbot.id} />}
        </section>
        <TestQuestionBox chatbotId={chatbot.id} />
      </div>

      <SourcesList chatbotId={chatbot.id} />

      <section className="card">
        <div className="list-toolbar">
          <h2>Knowledge base</h2>
          <div className="filters">
            <label className="visually-hidden" htmlFor="kb-search">Search knowledge</label>
            <input id="kb-search" type="search" placeholder="Search questions, answers, documents" value={search} onChange={(e) => setSearch(e.target.value)} />
            <label className="visually-hidden" htmlFor="kb-kind">Kind</label>
            <select id="kb-kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
              <option value="">All kinds</option>
              <option value="faq">FAQs</option>
              <option value="document">Documents</option>
              <option value="curated">Trained answers</option>
            </select>
          </div>
        </div>
        {entries.isPending ? <Loading /> : entries.isError ? <ErrorNotice error={entries.error} /> : total === 0 ? (
          q || kind ? <p className="muted">Nothing matches.</p> : (
            <EmptyState title="The knowledge base is empty">
              <p>Until you add something, the bot can only say it does not know and offer to put the visitor in touch with you.</p>
            </EmptyState>
          )
        ) : (
          <ul className="entries">
            {entries.data.items.map((entry) => <EntryRow key={entry.id} chatbotId={chatbot.id} entry={entry} />)}
          </ul>
        )}
        <LoadMore hasMore={entries.hasNextPage} loading={entries.isFetchingNextPage} onLoad={() => void entries.fetchNextPage()} />
      </section>
    </div>
  );
}
