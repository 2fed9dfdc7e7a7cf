import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, api } from '../../api/client';
import { usePagedList, useWebhookPresets } from '../../api/queries';
import type { Delivery, DeliveryDetail, RecoverResult, RetryNowResult, TestResult, Webhook } from '../../api/types';
import { CopyButton, ErrorNotice, Field, LoadMore, Loading, Notice, PageHeader, StatusBadge } from '../../components/ui';
import { formatDateTime, formatRelative, plural } from '../../lib/format';
import { findDroppedKeys, mappingToRows, parseMappingFieldError } from '../../lib/mapping-rows';
import { DELIVERY_STATUS, deliveryStatusWord } from '../../lib/status-words';
import { webhookHealth } from '../../lib/webhook-health';
import { collectMappings, MappingEditor, type RowsByEvent } from './mapping-editor';
import { SignatureSnippets } from './signature-snippets';
import { headersFromRows, SUBSCRIBABLE_EVENTS, WebhookFields, type WebhookFormValues } from './webhook-form';
import { webhookFieldErrors } from './webhook-new-page';

function webhookKey(id: string) {
  return ['/api/portal/webhooks', id] as const;
}

function toFormValues(hook: Webhook): WebhookFormValues {
  return {
    url: hook.url, events: hook.events, chatbotId: hook.chatbotId ?? '', signingMode: hook.signingMode, bodyFormat: hook.bodyFormat,
    headers: Object.entries(hook.headers).map(([name, hidden]) => ({ name, value: '', hidden })),
  };
}

function SendTest({ hook }: { hook: Webhook }) {
  const queryClient = useQueryClient();
  const test = useMutation({
    mutationFn: () => api.post<TestResult>(`/api/portal/webhooks/${hook.id}/test`),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: webhookKey(hook.id) });
      void queryClient.invalidateQueries({ queryKey: [`/api/portal/webhooks/${hook.id}/deliveries`] });
    },
  });
  const result = test.data;
  return (
    <section className="card">
      <h2>Send test</h2>
      <p className="muted small">Sends a <code>webhook.test</code> event with sample lead data to this URL now, signed like real deliveries.</p>
      <button type="button" className="button button-primary" onClick={() => test.mutate()} disabled={test.isPending}>{test.isPending ? 'Sending…' : 'Send test'}</button>
      <ErrorNotice error={test.error} />
      {result ? (
        <div className={`test-result test-${result.status}`} role="status">
          <p>
            <StatusBadge status={result.status} label={result.status === 'succeeded' ? DELIVERY_STATUS.succeeded!.label : DELIVERY_STATUS.failed!.label} />{' '}
            {result.statusCode !== null ? <>HTTP <strong>{result.statusCode}</strong></> : 'No HTTP response'}
            {result.latencyMs !== null ? ` in ${result.latencyMs} ms` : ''}
          </p>
          {result.error ? <p className="text-bad">{result.error}</p> : null}
          {result.responseExcerpt ? <><p className="small muted">Your endpoint answered:</p><pre className="code-block">{result.responseExcerpt}</pre></> : null}
        </div>
      ) : null}
    </section>
  );
}

function SettingsCard({ hook }: { hook: Webhook }) {
  const queryClient = useQueryClient();
  const [values, setValues] = useState<WebhookFormValues>(() => toFormValues(hook));
  const [headersTouched, setHeadersTouched] = useState(false);
  const [headerErrors, setHeaderErrors] = useState<Record<number, string>>({});
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => api.patch<Webhook>(`/api/portal/webhooks/${hook.id}`, body),
    onSuccess: (updated) => {
      queryClient.setQueryData(webhookKey(hook.id), updated);
      void queryClient.invalidateQueries({ queryKey: ['/api/portal/webhooks'], exact: false, refetchType: 'none' });
      setValues(toFormValues(updated));
      setHeadersTouched(false);
    },
  });
  const submit = () => {
    const body: Record<string, unknown> = {
      url: values.url.trim(), events: values.events, chatbotId: values.chatbotId || null, signingMode: values.signingMode, bodyFormat: values.bodyFormat,
    };
    if (headersTouched) {
      const { headers, errors } = headersFromRows(values.headers);
      setHeaderErrors(errors);
      if (Object.keys(errors).length > 0) return;
      body.headers = headers;
    }
    save.mutate(body);
  };
  return (
    <section className="card">
      <h2>Endpoint</h2>
      <form onSubmit={(e) => { e.preventDefault(); submit(); }} noValidate>
        <WebhookFields
          values={values}
          update={(patch) => { if (patch.headers) setHeadersTouched(true); setValues((v) => ({ ...v, ...patch })); }}
          errors={webhookFieldErrors(save.error)}
          headerErrors={headerErrors}
        />
        <ErrorNotice error={save.error} title="Not saved." />
        {save.isSuccess ? <Notice kind="success">Saved.</Notice> : null}
        <button type="submit" className="button button-primary" disabled={save.isPending}>{save.isPending ? 'Saving…' : 'Save endpoint'}</button>
      </form>
    </section>
  );
}

function FieldsCard({ hook }: { hook: Webhook }) {
  const queryClient = useQueryClient();
  const presets = useWebhookPresets();
  const defaults = presets.data?.defaults ?? {};
  const eventKeys = ['*', ...hook.events, 'webhook.test'];
  const initial = (): RowsByEvent => Object.fromEntries([...new Set([...eventKeys, ...Object.keys(hook.mappings)])].map((key) => [key, mappingToRows(hook.mappings[key])]));
  const [rowsByEvent, setRowsByEvent] = useState<RowsByEvent>(initial);
  const [dirty, setDirty] = useState(false);
  const save = useMutation({
    mutationFn: () => api.patch<Webhook>(`/api/portal/webhooks/${hook.id}`, { mappings: collectMappings(rowsByEvent).mappings }),
    onSuccess: (updated) => {
      queryClient.setQueryData(webhookKey(hook.id), updated);
      setDirty(false);
    },
  });
  const serverErrors: Record<string, string> = {};
  if (save.error instanceof ApiError) {
    for (const fe of save.error.fieldErrors) {
      const parsed = parseMappingFieldError(fe.field);
      if (parsed?.outputKey) serverErrors[`${parsed.eventKey}\u0000${parsed.outputKey}`] = fe.message;
    }
  }
  const collected = collectMappings(rowsByEvent);
  const hasErrors = Object.keys(collected.errors).length > 0;
  // Keys a subscribed event sent before and would stop sending: said before saving, never dropped silently.
  const dropped = dirty ? Object.entries(findDroppedKeys(hook.events, hook.mappings, collected.mappings, defaults)) : [];
  const confirmAndSave = () => {
    const lines = dropped.map(([event, keys]) => `${event}: ${keys.join(', ')}`).join('\n');
    if (dropped.length === 0 || window.confirm(`These fields will no longer be sent:\n${lines}\n\nSave anyway?`)) save.mutate();
  };
  return (
    <section className="card">
      <h2>Fields sent</h2>
      <p className="muted small">Choose the keys your receiver gets and where each value comes from.</p>
      <MappingEditor
        rowsByEvent={rowsByEvent}
        onChange={(next) => { setRowsByEvent(next); setDirty(true); }}
        eventKeys={eventKeys}
        subscribedEvents={hook.events.length > 0 ? hook.events : SUBSCRIBABLE_EVENTS}
        bodyFormat={hook.bodyFormat}
        chatbotId={hook.chatbotId}
        serverErrors={serverErrors}
        defaults={defaults}
      />
      {dropped.length > 0 ? (
        <Notice kind="warning">
          <strong>Saving stops sending fields it sends now:</strong>{' '}
          {dropped.map(([event, keys]) => `${keys.join(', ')} (${event})`).join('; ')}. Add them back above, or press “Discard changes”, if your receiver still needs them.
        </Notice>
      ) : null}
      <ErrorNotice error={save.error} title="Fields not saved." />
      {save.isSuccess && !dirty ? <Notice kind="success">Fields saved. New deliveries use them.</Notice> : null}
      <div className="form-actions">
        <button type="button" className="button button-primary" disabled={!dirty || hasErrors || save.isPending} onClick={confirmAndSave}>{save.isPending ? 'Saving…' : 'Save fields'}</button>
        {dirty ? <button type="button" className="button" onClick={() => { setRowsByEvent(initial()); setDirty(false); }}>Discard changes</button> : null}
      </div>
    </section>
  );
}

function SecretCard({ hook }: { hook: Webhook }) {
  const queryClient = useQueryClient();
  const [typed, setTyped] = useState('');
  const rotate = useMutation({
    mutationFn: (secret: string | null) => api.post<{ secret: string; previousSecretExpiresAt: string }>(`/api/portal/webhooks/${hook.id}/rotate-secret`, secret ? { secret } : {}),
    onSuccess: () => {
      setTyped('');
      void queryClient.invalidateQueries({ queryKey: webhookKey(hook.id) });
    },
  });
  return (
    <section className="card">
      <h2>Secret</h2>
      <p>Current secret: <code>{hook.secretHint}</code></p>
      {hook.previousSecretExpiresAt ? <p className="small">The previous secret also signs deliveries until {formatDateTime(hook.previousSecretExpiresAt)}, so you can update your receiver without missing any.</p> : null}
      {rotate.data ? (
        <div className="secret-once" role="status">
          <p><strong>Your new secret</strong> (shown only this once):</p>
          <div className="snippet"><pre><code>{rotate.data.secret}</code></pre><CopyButton text={rotate.data.secret} /></div>
          <p className="small">The old secret keeps working until {formatDateTime(rotate.data.previousSecretExpiresAt)}.</p>
        </div>
      ) : null}
      <div className="form-actions">
        <button type="button" className="button" disabled={rotate.isPending} onClick={() => { if (window.confirm('Generate a new secret? The old one keeps working for 24 hours.')) rotate.mutate(null); }}>Generate a new secret</button>
      </div>
      <form className="inline-form" onSubmit={(e) => { e.preventDefault(); if (typed.trim()) rotate.mutate(typed.trim()); }}>
        <Field id="typed-secret" label="Or set your own" hint="8–256 visible characters.">
          <input id="typed-secret" type="password" autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} />
        </Field>
        <button type="submit" className="button" disabled={rotate.isPending || typed.trim().length === 0}>Use this secret</button>
      </form>
      <ErrorNotice error={rotate.error} />
    </section>
  );
}

function DeliveryRow({ delivery }: { delivery: Delivery }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const detail = useQuery({
    queryKey: ['/api/portal/deliveries', delivery.id, delivery.attempts],
    queryFn: () => api.get<DeliveryDetail>(`/api/portal/deliveries/${delivery.id}`),
    enabled: open,
  });
  const resend = useMutation({
    mutationFn: () => api.post<Delivery>(`/api/portal/deliveries/${delivery.id}/resend`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [`/api/portal/webhooks/${delivery.webhookId}/deliveries`] }),
  });
  const retryNow = useMutation({
    mutationFn: () => api.post<Delivery>(`/api/portal/deliveries/${delivery.id}/retry-now`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [`/api/portal/webhooks/${delivery.webhookId}/deliveries`] }),
  });
  const canResend = delivery.status === 'succeeded' || delivery.status === 'failed';
  const actionError = resend.error ?? retryNow.error;
  return (
    <>
      <tr>
        <td>{formatDateTime(delivery.createdAt)}</td>
        <td><code>{delivery.eventType}</code></td>
        <td><StatusBadge status={deliveryStatusWord(delivery.status).badge} label={deliveryStatusWord(delivery.status).label} /></td>
        <td>{delivery.attempts}</td>
        <td>{delivery.lastStatusCode ?? '—'}{delivery.lastError ? <span className="muted small"> {delivery.lastError}</span> : null}</td>
        <td>{delivery.nextAttemptAt && delivery.status !== 'succeeded' && delivery.status !== 'failed' ? formatRelative(delivery.nextAttemptAt) : '—'}</td>
        <td className="row-actions">
          <button type="button" className="button button-small" aria-expanded={open} onClick={() => setOpen(!open)}>{open ? 'Hide' : 'Details'}</button>
          {canResend
            ? <button type="button" className="button button-small" disabled={resend.isPending} onClick={() => resend.mutate()}>{resend.isPending ? 'Queuing…' : 'Re-send'}</button>
            : <button type="button" className="button button-small" disabled={retryNow.isPending} onClick={() => retryNow.mutate()} title="Attempt it now instead of at its next scheduled time">{retryNow.isPending ? 'Queuing…' : 'Retry now'}</button>}
        </td>
      </tr>
      {actionError ? <tr><td colSpan={7}><ErrorNotice error={actionError} /></td></tr> : null}
      {open ? (
        <tr className="delivery-detail">
          <td colSpan={7}>
            {detail.isPending ? <Loading /> : detail.isError ? <ErrorNotice error={detail.error} /> : (
              <>
                <p className="small muted">Delivery <code>{delivery.id}</code> · event <code>{delivery.eventId}</code></p>
                <table className="attempts">
                  <thead><tr><th scope="col">#</th><th scope="col">At</th><th scope="col">Result</th><th scope="col">HTTP</th><th scope="col">Time</th><th scope="col">Response / error</th></tr></thead>
                  <tbody>
                    {detail.data.attempts.length === 0 ? <tr><td colSpan={6} className="muted">Not attempted yet.</td></tr> : detail.data.attempts.map((a) => (
                      <tr key={a.attemptNumber}>
                        <td>{a.attemptNumber}</td>
                        <td>{formatDateTime(a.startedAt)}</td>
                        <td>{a.outcome}</td>
                        <td>{a.statusCode ?? '—'}</td>
                        <td>{a.latencyMs !== null ? `${a.latencyMs} ms` : '—'}</td>
                        <td className="cell-text">{a.error ? <span className="text-bad">{a.error} </span> : null}{a.responseExcerpt ? <code>{a.responseExcerpt}</code> : null}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {detail.data.requestBody ? <><p className="small muted">Body ({detail.data.contentType ?? 'application/json'}), as the current field mapping renders it:</p><pre className="code-block">{detail.data.requestBody}</pre></> : null}
              </>
            )}
          </td>
        </tr>
      ) : null}
    </>
  );
}

/** What a retry or recover did; finding nothing is a warning (the customer expected something to go out), not a success. */
function RetryOutcome({ scheduled, inFlight, nothing }: { scheduled: number; inFlight: number; nothing: string }) {
  const busy = inFlight > 0 ? ` ${plural(inFlight, 'delivery is', 'deliveries are')} being sent right now and ${inFlight === 1 ? 'was' : 'were'} left alone.` : '';
  if (scheduled === 0) return <Notice kind="warning">{inFlight > 0 ? busy.trim() : nothing}</Notice>;
  return <Notice kind="success">{plural(scheduled, 'delivery', 'deliveries')} queued to be sent now.{busy}</Notice>;
}

/** The delivery log of any destination (webhook, Google Sheet): filter, details, re-send, retry, recover. */
export function DeliveriesCard({ hook }: { hook: Pick<Webhook, 'id' | 'health'> }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState('');
  const [since, setSince] = useState('');
  const path = `/api/portal/webhooks/${hook.id}/deliveries`;
  const list = usePagedList<Delivery>(path, { status: status || undefined }, 25);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: [path] });
    // The prefix covers this webhook and the dashboard's health list, so both say the same.
    void queryClient.invalidateQueries({ queryKey: ['/api/portal/webhooks'] });
  };
  const recover = useMutation({
    mutationFn: () => api.post<RecoverResult>(`/api/portal/webhooks/${hook.id}/recover`, { since: new Date(since).toISOString() }),
    onSuccess: refresh,
  });
  const retryAll = useMutation({
    mutationFn: () => api.post<RetryNowResult>(`/api/portal/webhooks/${hook.id}/retry-now`),
    onSuccess: refresh,
  });
  return (
    <section className="card">
      <div className="list-toolbar">
        <h2>Delivery log</h2>
        <div className="filters">
          <label htmlFor="dlv-status">Status</label>
          <select id="dlv-status" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">All</option>
            {Object.entries(DELIVERY_STATUS).map(([value, word]) => <option key={value} value={value}>{word.label}</option>)}
          </select>
          <button type="button" className="button button-small" onClick={() => void list.refetch()}>Refresh</button>
          <button type="button" className="button button-small" disabled={retryAll.isPending || hook.health.pending === 0} onClick={() => retryAll.mutate()}
            title="Attempt every pending or retrying delivery now instead of at its next scheduled time">
            {retryAll.isPending ? 'Queuing…' : `Retry all pending now${hook.health.pending > 0 ? ` (${hook.health.pending})` : ''}`}
          </button>
        </div>
      </div>
      <ErrorNotice error={retryAll.error} />
      {retryAll.data ? <RetryOutcome scheduled={retryAll.data.scheduled} inFlight={retryAll.data.inFlight} nothing="No pending or retrying deliveries to send." /> : null}
      {list.isPending ? <Loading /> : list.isError ? <ErrorNotice error={list.error} /> : list.data.items.length === 0 ? (
        <p className="muted">No deliveries{status ? ` with status “${deliveryStatusWord(status).label}”` : ''} yet. Press “Send test”, or wait for the next event.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead><tr><th scope="col">Created</th><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last response</th><th scope="col">Next try</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
            <tbody>{list.data.items.map((d) => <DeliveryRow key={d.id} delivery={d} />)}</tbody>
          </table>
        </div>
      )}
      <LoadMore hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onLoad={() => void list.fetchNextPage()} />
      <form className="inline-form recover" onSubmit={(e) => { e.preventDefault(); if (since) recover.mutate(); }}>
        <Field id="recover-since" label="Recover every failed or retrying delivery since" hint="After fixing your endpoint: failed ones are queued again, retrying ones are attempted now.">
          <input id="recover-since" type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />
        </Field>
        <button type="submit" className="button" disabled={!since || recover.isPending}>{recover.isPending ? 'Queuing…' : 'Recover'}</button>
      </form>
      <ErrorNotice error={recover.error} />
      {recover.data ? <RetryOutcome scheduled={recover.data.requeued} inFlight={recover.data.inFlight} nothing="No failed or retrying deliveries in that period: nothing was queued." /> : null}
    </section>
  );
}

export function WebhookPage() {
  const { webhookId = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const webhook = useQuery({ queryKey: webhookKey(webhookId), queryFn: () => api.get<Webhook>(`/api/portal/webhooks/${encodeURIComponent(webhookId)}`) });
  const toggle = useMutation({
    mutationFn: (enabled: boolean) => api.patch<Webhook>(`/api/portal/webhooks/${webhookId}`, { enabled }),
    onSuccess: (updated) => queryClient.setQueryData(webhookKey(webhookId), updated),
  });
  const remove = useMutation({
    mutationFn: () => api.delete(`/api/portal/webhooks/${webhookId}`),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['/api/portal/webhooks'] });
      void navigate('/settings/webhooks', { replace: true });
    },
  });
  if (webhook.isPending) return <Loading />;
  if (webhook.isError) return <ErrorNotice error={webhook.error} />;
  const hook = webhook.data;
  const health = webhookHealth(hook);
  return (
    <>
      <PageHeader title="Webhook" description={<span className="break">{hook.url}</span>} actions={<Link className="button" to="/settings/webhooks">All webhooks</Link>} />
      <section className={`card health-banner health-${health.state}`}>
        <p><StatusBadge status={health.state} label={health.label} /> {health.detail}</p>
        <p className="small muted">
          Last success: {hook.health.lastSuccessAt ? formatDateTime(hook.health.lastSuccessAt) : 'never'} · last failure: {hook.health.lastFailureAt ? formatDateTime(hook.health.lastFailureAt) : 'never'}
          {hook.disabledAt ? ` · disabled ${formatDateTime(hook.disabledAt)}` : ''}
        </p>
        <div className="form-actions">
          <button type="button" className="button" disabled={toggle.isPending} onClick={() => toggle.mutate(!hook.enabled)}>{hook.enabled ? 'Disable' : 'Enable again'}</button>
          <button type="button" className="button button-danger" disabled={remove.isPending} onClick={() => { if (window.confirm('Delete this webhook and its delivery log?')) remove.mutate(); }}>Delete</button>
        </div>
        <ErrorNotice error={toggle.error ?? remove.error} />
      </section>
      <SendTest hook={hook} />
      <FieldsCard key={`fields-${hook.events.join()}`} hook={hook} />
      <DeliveriesCard hook={hook} />
      <SettingsCard key={`settings-${hook.id}`} hook={hook} />
      <SecretCard hook={hook} />
      <section className="card">
        <h2>Verify signatures</h2>
        <SignatureSnippets signingMode={hook.signingMode} />
      </section>
    </>
  );
}
