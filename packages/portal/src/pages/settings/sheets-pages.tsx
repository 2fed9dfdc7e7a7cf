import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState, type ChangeEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, api } from '../../api/client';
import { usePagedList } from '../../api/queries';
import type { SheetColumn, SheetsConnectionReport, SheetsDestination, TestResult } from '../../api/types';
import { ChatbotSelect } from '../../components/chatbot-select';
import { CopyButton, describedBy, ErrorNotice, Field, Loading, Notice, PageHeader, StatusBadge } from '../../components/ui';
import { formatDateTime } from '../../lib/format';
import type { MappingRow } from '../../lib/mapping-rows';
import {
  columnsToRows, DEFAULT_SHEET_COLUMNS, DEFAULT_SHEETS_EVENTS, FIXED_SHEET_HEADERS, parseSpreadsheetInput, readKeyFile, rowsToColumns, SHEETS_EVENTS, type KeyFileSummary,
} from '../../lib/sheets-form';
import { webhookHealth } from '../../lib/webhook-health';
import { RowEditor, usePayloadPreview, type RowLabels } from './mapping-editor';
import { EventCheckboxes } from './webhook-form';
import { DeliveriesCard } from './webhook-page';

const SHEETS_PATH = '/api/portal/integrations/sheets';
const COLUMN_LABELS: RowLabels = { noun: 'Column', key: 'Column header', keyPlaceholder: 'e.g. Email' };

function sheetKey(id: string) {
  return [SHEETS_PATH, id] as const;
}

interface SheetsFormValues {
  key: KeyFileSummary | null;
  keyError: string | null;
  spreadsheet: string;
  tabName: string;
  events: string[];
  chatbotId: string;
  rows: MappingRow[];
}

/** API field errors (`serviceAccountKey.private_key`, `columns[2].value`, …) → the form's fields and column rows. */
function sheetsFieldErrors(error: unknown): { fields: Record<string, string>; columns: Record<number, string> } {
  const fields: Record<string, string> = {};
  const columns: Record<number, string> = {};
  if (!(error instanceof ApiError)) return { fields, columns };
  for (const fe of error.fieldErrors) {
    const field = fe.field.replace(/^body\./, '');
    const column = /^columns\[(\d+)\]/.exec(field);
    if (column?.[1] !== undefined) columns[Number(column[1])] ??= fe.message;
    const name = field.split(/[.[]/)[0] ?? '';
    fields[name] ??= name === 'serviceAccountKey' && field !== name ? `${field.slice(name.length + 1)} ${fe.message}` : fe.message;
  }
  return { fields, columns };
}

/** The key file input: reads the file in the browser to show whose key it is; the file itself goes to the server. */
function KeyFileField({ values, update, error, replacing }: {
  values: SheetsFormValues; update: (patch: Partial<SheetsFormValues>) => void; error: string | undefined; replacing: string | null;
}) {
  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (!file) return update({ key: null, keyError: null });
    const read = readKeyFile(await file.text());
    if ('error' in read) update({ key: null, keyError: read.error });
    else update({ key: read.key, keyError: null });
  };
  const shown = values.keyError ?? error;
  return (
    <Field
      id="gs-key"
      label={replacing ? 'Replace the service-account key (optional)' : 'Service-account key file (.json)'}
      hint={replacing
        ? <>Now: <strong>{replacing}</strong>. Upload a new key file only to change it.</>
        : <>In Google Cloud: IAM &amp; Admin → Service accounts → your account → Keys → Add key → JSON. It is stored encrypted; only its e-mail is shown again.</>}
      error={shown ?? undefined}
    >
      <input id="gs-key" type="file" accept="application/json,.json" onChange={(e) => void onFile(e)} {...describedBy('gs-key', { hint: true, error: shown ?? undefined })} />
      {values.key ? <p className="small" role="status">Key of <strong>{values.key.clientEmail}</strong>{values.key.privateKeyId ? <span className="muted"> (key id {values.key.privateKeyId.slice(0, 8)}…)</span> : null}</p> : null}
    </Field>
  );
}

/** Spreadsheet, tab, events and chatbot. */
function SheetsFields({ values, update, errors }: { values: SheetsFormValues; update: (patch: Partial<SheetsFormValues>) => void; errors: Record<string, string> }) {
  const parsedId = parseSpreadsheetInput(values.spreadsheet);
  const toggleEvent = (event: string, checked: boolean) => update({ events: checked ? [...values.events, event] : values.events.filter((e) => e !== event) });
  return (
    <>
      <Field
        id="gs-spreadsheet"
        label="Spreadsheet address or id"
        hint={parsedId ? <>Spreadsheet id: <code className="break">{parsedId}</code></> : 'Paste the address from your browser, e.g. https://docs.google.com/spreadsheets/d/1AbC…/edit'}
        error={errors.spreadsheetId}
      >
        <input id="gs-spreadsheet" value={values.spreadsheet} placeholder="https://docs.google.com/spreadsheets/d/…/edit" autoComplete="off"
          {...describedBy('gs-spreadsheet', { hint: true, error: errors.spreadsheetId })} onChange={(e) => update({ spreadsheet: e.target.value })} />
      </Field>
      <div className="grid-2">
        <Field id="gs-tab" label="Tab" hint="The name of the tab at the bottom of the sheet (it must exist)." error={errors.tabName}>
          <input id="gs-tab" value={values.tabName} {...describedBy('gs-tab', { hint: true, error: errors.tabName })} onChange={(e) => update({ tabName: e.target.value })} />
        </Field>
        <Field id="gs-bot" label="Only for chatbot" error={errors.chatbotId}>
          <ChatbotSelect id="gs-bot" value={values.chatbotId} onChange={(chatbotId) => update({ chatbotId })} allLabel="All chatbots" />
        </Field>
      </div>
      <EventCheckboxes legend="A row for each" events={SHEETS_EVENTS} selected={values.events} onToggle={toggleEvent} error={errors.events} />
    </>
  );
}

/**
 * The columns after the three fixed ones, edited with the webhook mapping editor's rows, and a live preview of
 * the row the server renders (the same mapping code as deliveries) from the latest real lead or a sample.
 */
function SheetColumnsEditor({ rows, onChange, chatbotId, events, serverErrors }: {
  rows: MappingRow[]; onChange: (rows: MappingRow[]) => void; chatbotId: string; events: string[]; serverErrors: Record<number, string>;
}) {
  const [previewType, setPreviewType] = useState(events[0] ?? 'lead.captured');
  const { columns, errors } = useMemo(() => rowsToColumns(rows), [rows]);
  const hasErrors = Object.keys(errors).length > 0 || columns.length === 0;
  const mapping = Object.fromEntries(columns.map((column) => [column.header, column.value]));
  const request = JSON.stringify({ eventType: previewType, mappings: { '*': mapping }, bodyFormat: 'json', ...(chatbotId ? { chatbotId } : {}) });
  const preview = usePayloadPreview(request, !hasErrors);
  const cell = (value: unknown): string => (value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));
  return (
    <fieldset className="mapping-editor">
      <legend>Columns</legend>
      <p className="hint">Every row starts with {FIXED_SHEET_HEADERS.map((h, i) => <span key={h}>{i > 0 ? ', ' : ''}<strong>{h}</strong></span>)}; then these columns, in this order. Values are written as plain text (a formula stays text).</p>
      <div className="mapping-rows">
        {rows.map((row, index) => (
          <RowEditor
            key={index}
            row={row}
            index={index}
            eventKey="*"
            labels={COLUMN_LABELS}
            error={errors[index] ?? serverErrors[index]}
            onChange={(next) => onChange(rows.map((r, i) => (i === index ? next : r)))}
            onRemove={() => onChange(rows.filter((_, i) => i !== index))}
          />
        ))}
      </div>
      {rows.length === 0 ? <p className="field-error" role="alert">Add at least one column.</p> : null}
      <div className="form-actions">
        <button type="button" className="button button-small" onClick={() => onChange([...rows, { key: '', kind: 'path', value: '', constType: 'string' }])}>Add column</button>
        <button type="button" className="button button-small" onClick={() => { if (window.confirm('Replace the columns with the default ones?')) onChange(columnsToRows(DEFAULT_SHEET_COLUMNS)); }}>Use the default columns</button>
      </div>
      <section className="preview-panel" aria-label="Row preview">
        <div className="preview-head">
          <h3>Row preview</h3>
          <label htmlFor="gs-preview-type" className="small">for</label>
          <select id="gs-preview-type" value={previewType} onChange={(e) => setPreviewType(e.target.value)}>
            {SHEETS_EVENTS.map((type) => <option key={type} value={type}>{type}</option>)}
          </select>
          {preview.data ? <span className="muted small">{preview.data.fromEventId ? `from your latest ${previewType} (${preview.data.fromEventId})` : `from a sample ${previewType} (no real one yet)`}</span> : null}
        </div>
        {hasErrors ? <p className="text-warn small">Fix the highlighted columns to update the preview.</p> : null}
        <ErrorNotice error={preview.error} />
        {preview.data ? (
          <div className="table-wrap">
            <table className="sheet-preview">
              <thead><tr>{FIXED_SHEET_HEADERS.map((h) => <th key={h} scope="col">{h}</th>)}{columns.map((c) => <th key={c.header} scope="col">{c.header}</th>)}</tr></thead>
              <tbody>
                <tr>
                  <td><code>{cell(preview.data.payload.eventId)}</code></td><td>{previewType}</td><td>{cell(preview.data.payload.eventTimestamp)}</td>
                  {columns.map((c) => <td key={c.header}>{cell(preview.data.payload[c.header])}</td>)}
                </tr>
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </fieldset>
  );
}

function emptyValues(): SheetsFormValues {
  return { key: null, keyError: null, spreadsheet: '', tabName: 'Leads', events: [...DEFAULT_SHEETS_EVENTS], chatbotId: '', rows: columnsToRows(DEFAULT_SHEET_COLUMNS) };
}

function toFormValues(sheet: SheetsDestination): SheetsFormValues {
  return {
    key: null, keyError: null, spreadsheet: sheet.spreadsheetUrl, tabName: sheet.tabName, events: sheet.events, chatbotId: sheet.chatbotId ?? '', rows: columnsToRows(sheet.columns),
  };
}

/** Checks the form in the browser; answers the body to send or the problems to show. */
function checkForm(values: SheetsFormValues, requireKey: boolean): { body: Record<string, unknown> } | { errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  if (requireKey && !values.key) errors.serviceAccountKey = values.keyError ?? 'Upload the service account’s .json key file.';
  const spreadsheetId = parseSpreadsheetInput(values.spreadsheet);
  if (!spreadsheetId) errors.spreadsheetId = 'Paste the spreadsheet’s address (https://docs.google.com/spreadsheets/d/…) or its id.';
  if (values.tabName.trim() === '') errors.tabName = 'Name the tab rows go to.';
  if (values.events.length === 0) errors.events = 'Choose at least one event.';
  const { columns, errors: columnErrors } = rowsToColumns(values.rows);
  if (Object.keys(columnErrors).length > 0 || columns.length === 0) errors.columns = 'Fix the highlighted columns.';
  if (Object.keys(errors).length > 0) return { errors };
  const body: Record<string, unknown> = { spreadsheetId, tabName: values.tabName.trim(), events: values.events, chatbotId: values.chatbotId || null, columns: columns satisfies SheetColumn[] };
  if (values.key) body.serviceAccountKey = values.key.text;
  return { body };
}

/** Settings → Integrations → Google Sheets → Connect a sheet. */
export function SheetsNewPage() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [values, setValues] = useState<SheetsFormValues>(emptyValues);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const create = useMutation({
    mutationFn: (body: Record<string, unknown>) => api.post<SheetsDestination>(SHEETS_PATH, body),
    onSuccess: async (sheet) => {
      queryClient.setQueryData(sheetKey(sheet.id), sheet);
      await queryClient.invalidateQueries({ queryKey: [SHEETS_PATH] });
      void navigate(`/settings/integrations/sheets/${sheet.id}?created=1`);
    },
  });
  const server = sheetsFieldErrors(create.error);
  const errors = { ...server.fields, ...localErrors };
  const update = (patch: Partial<SheetsFormValues>) => setValues((v) => ({ ...v, ...patch }));
  const submit = () => {
    const checked = checkForm(values, true);
    if ('errors' in checked) return setLocalErrors(checked.errors);
    setLocalErrors({});
    create.mutate(checked.body);
  };
  return (
    <>
      <PageHeader title="Connect a Google Sheet" description="One row per lead and escalation, written by a Google service account." actions={<Link className="button" to="/settings/integrations">Integrations</Link>} />
      <section className="card">
        <h2>Before you start</h2>
        <ol className="steps">
          <li>In Google Cloud, enable the <strong>Google Sheets API</strong> for a project and create a <strong>service account</strong> with a JSON key.</li>
          <li>Open your spreadsheet, press <strong>Share</strong> and add the service account’s e-mail as an <strong>Editor</strong>.</li>
          <li>Fill in the form below; after saving, press <strong>Test connection</strong> and <strong>Send test row</strong>.</li>
        </ol>
      </section>
      <section className="card">
        <form onSubmit={(e) => { e.preventDefault(); submit(); }} noValidate aria-label="Google Sheet">
          <KeyFileField values={values} update={update} error={errors.serviceAccountKey} replacing={null} />
          {values.key ? <Notice kind="info">Share the spreadsheet with <strong className="break">{values.key.clientEmail}</strong> as an Editor. <CopyButton text={values.key.clientEmail} label="Copy e-mail" /></Notice> : null}
          <SheetsFields values={values} update={update} errors={errors} />
          <SheetColumnsEditor rows={values.rows} onChange={(rows) => update({ rows })} chatbotId={values.chatbotId} events={values.events} serverErrors={server.columns} />
          <ErrorNotice error={create.error} title="Not saved." />
          {Object.keys(localErrors).length > 0 ? <Notice kind="error">Check the highlighted fields.</Notice> : null}
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={create.isPending}>{create.isPending ? 'Saving…' : 'Save Google Sheet'}</button>
          </div>
        </form>
      </section>
    </>
  );
}

function ConnectionChecks({ sheet }: { sheet: SheetsDestination }) {
  const queryClient = useQueryClient();
  const connection = useMutation({ mutationFn: () => api.post<SheetsConnectionReport>(`${SHEETS_PATH}/${sheet.id}/test-connection`) });
  const testRow = useMutation({
    mutationFn: () => api.post<TestResult>(`${SHEETS_PATH}/${sheet.id}/test-row`),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: sheetKey(sheet.id) });
      void queryClient.invalidateQueries({ queryKey: [`/api/portal/webhooks/${sheet.id}/deliveries`] });
    },
  });
  const report = connection.data;
  const row = testRow.data;
  return (
    <section className="card">
      <h2>Check it works</h2>
      <p className="muted small"><strong>Test connection</strong> signs in as the service account, opens the sheet and the tab, and writes nothing. <strong>Send test row</strong> appends one row (event <code>webhook.test</code>, sample lead data), writing the header row first if row 1 is empty.</p>
      <div className="form-actions">
        <button type="button" className="button" disabled={connection.isPending} onClick={() => connection.mutate()}>{connection.isPending ? 'Testing…' : 'Test connection'}</button>
        <button type="button" className="button button-primary" disabled={testRow.isPending} onClick={() => testRow.mutate()}>{testRow.isPending ? 'Sending…' : 'Send test row'}</button>
      </div>
      <ErrorNotice error={connection.error ?? testRow.error} />
      {report ? (
        <div className={`test-result test-${report.ok ? 'succeeded' : 'failed'}`} role="status" aria-label="Connection test">
          <p><StatusBadge status={report.ok ? 'ok' : 'failed'} label={report.ok ? 'Connected' : 'Not connected'} />{report.spreadsheetTitle ? <> Spreadsheet “{report.spreadsheetTitle}”</> : null}</p>
          {report.problems.map((problem) => <p key={problem} className="text-bad">{problem}</p>)}
          {report.notes.length > 0 ? <ul className="small">{report.notes.map((note) => <li key={note}>{note}</li>)}</ul> : null}
        </div>
      ) : null}
      {row ? (
        <div className={`test-result test-${row.status}`} role="status" aria-label="Test row">
          <p><StatusBadge status={row.status} label={row.status === 'succeeded' ? 'Row written' : 'Not written'} />{row.latencyMs !== null ? ` in ${row.latencyMs} ms` : ''}</p>
          {row.error ? <p className="text-bad">{row.error}</p> : null}
          {row.responseExcerpt ? <p className="small muted">{row.responseExcerpt}</p> : null}
        </div>
      ) : null}
    </section>
  );
}

function SheetSettingsCard({ sheet }: { sheet: SheetsDestination }) {
  const queryClient = useQueryClient();
  const [values, setValues] = useState<SheetsFormValues>(() => toFormValues(sheet));
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => api.patch<SheetsDestination>(`${SHEETS_PATH}/${sheet.id}`, body),
    onSuccess: (updated) => {
      queryClient.setQueryData(sheetKey(sheet.id), updated);
      void queryClient.invalidateQueries({ queryKey: [SHEETS_PATH], exact: false, refetchType: 'none' });
      setValues(toFormValues(updated));
    },
  });
  const server = sheetsFieldErrors(save.error);
  const errors = { ...server.fields, ...localErrors };
  const update = (patch: Partial<SheetsFormValues>) => setValues((v) => ({ ...v, ...patch }));
  const submit = () => {
    const checked = checkForm(values, false);
    if ('errors' in checked) return setLocalErrors(checked.errors);
    setLocalErrors({});
    save.mutate(checked.body);
  };
  return (
    <section className="card">
      <h2>Settings</h2>
      <form onSubmit={(e) => { e.preventDefault(); submit(); }} noValidate aria-label="Google Sheet settings">
        <KeyFileField values={values} update={update} error={errors.serviceAccountKey} replacing={sheet.serviceAccountEmail} />
        <SheetsFields values={values} update={update} errors={errors} />
        <SheetColumnsEditor rows={values.rows} onChange={(rows) => update({ rows })} chatbotId={values.chatbotId} events={values.events} serverErrors={server.columns} />
        <p className="hint">Changing the sheet, the tab or the columns writes the header again before the next row if row 1 is empty; a row 1 with text in it is left as it is.</p>
        <ErrorNotice error={save.error} title="Not saved." />
        {save.isSuccess && Object.keys(localErrors).length === 0 ? <Notice kind="success">Saved. New rows use these settings.</Notice> : null}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={save.isPending}>{save.isPending ? 'Saving…' : 'Save settings'}</button>
        </div>
      </form>
    </section>
  );
}

/** Settings → Integrations → one Google Sheet: status, checks, settings and its delivery log. */
export function SheetsPage() {
  const { sheetId = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const query = useQuery({ queryKey: sheetKey(sheetId), queryFn: () => api.get<SheetsDestination>(`${SHEETS_PATH}/${encodeURIComponent(sheetId)}`) });
  const toggle = useMutation({
    mutationFn: (enabled: boolean) => api.patch<SheetsDestination>(`${SHEETS_PATH}/${sheetId}`, { enabled }),
    onSuccess: (updated) => queryClient.setQueryData(sheetKey(sheetId), updated),
  });
  const remove = useMutation({
    mutationFn: () => api.delete(`${SHEETS_PATH}/${sheetId}`),
    onSuccess: () => {
      // Mark the list stale without refetching now: a refetch would include this page's own (now 404) query.
      void queryClient.invalidateQueries({ queryKey: [SHEETS_PATH], refetchType: 'none' });
      void navigate('/settings/integrations', { replace: true });
    },
  });
  if (query.isPending) return <Loading />;
  if (query.isError) return <ErrorNotice error={query.error} />;
  const sheet = query.data;
  const health = webhookHealth(sheet);
  const justCreated = new URLSearchParams(window.location.search).has('created');
  return (
    <>
      <PageHeader
        title={`Google Sheet · ${sheet.tabName}`}
        description={<a className="break" href={sheet.spreadsheetUrl} target="_blank" rel="noreferrer noopener">{sheet.spreadsheetUrl}</a>}
        actions={<Link className="button" to="/settings/integrations">Integrations</Link>}
      />
      {justCreated ? <Notice kind="success">Saved. Press “Test connection”, then “Send test row” to see a row arrive.</Notice> : null}
      <section className={`card health-banner health-${health.state}`} aria-label="Status">
        <p><StatusBadge status={health.state} label={health.label} /> {health.detail}</p>
        <p className="small">Service account: <strong className="break">{sheet.serviceAccountEmail}</strong> <CopyButton text={sheet.serviceAccountEmail} label="Copy e-mail" /> — the spreadsheet must be shared with it as an Editor.</p>
        <p className="small muted">
          Last row written: {sheet.health.lastSuccessAt ? formatDateTime(sheet.health.lastSuccessAt) : 'never'} · last failure: {sheet.health.lastFailureAt ? formatDateTime(sheet.health.lastFailureAt) : 'never'}
          {sheet.disabledAt ? ` · disabled ${formatDateTime(sheet.disabledAt)}` : ''}
        </p>
        <div className="form-actions">
          <button type="button" className="button" disabled={toggle.isPending} onClick={() => toggle.mutate(!sheet.enabled)}>{sheet.enabled ? 'Disable' : 'Enable again'}</button>
          <button type="button" className="button button-danger" disabled={remove.isPending} onClick={() => { if (window.confirm('Delete this Google Sheet connection and its delivery log? The spreadsheet itself is not changed.')) remove.mutate(); }}>Delete</button>
        </div>
        <ErrorNotice error={toggle.error ?? remove.error} />
      </section>
      <ConnectionChecks sheet={sheet} />
      <DeliveriesCard hook={sheet} />
      <SheetSettingsCard key={sheet.id} sheet={sheet} />
    </>
  );
}

/** The Google Sheets card of Settings → Integrations: the connected sheets and how each is doing. */
export function SheetsCard() {
  const list = usePagedList<SheetsDestination>(SHEETS_PATH, {}, 50);
  return (
    <section className="card" aria-labelledby="sheets-title">
      <div className="list-toolbar">
        <h2 id="sheets-title">Google Sheets</h2>
        <Link className="button button-primary" to="/settings/integrations/sheets/new">Connect a Google Sheet</Link>
      </div>
      <p className="muted">A row for every lead and escalation in a spreadsheet of yours, written by a Google service account, retried and logged like a webhook.</p>
      {list.isPending ? <Loading /> : list.isError ? <ErrorNotice error={list.error} /> : list.data.items.length === 0 ? (
        <p className="muted">No sheet connected yet.</p>
      ) : (
        <ul className="sheet-list">
          {list.data.items.map((sheet) => {
            const health = webhookHealth(sheet);
            return (
              <li key={sheet.id}>
                <Link to={`/settings/integrations/sheets/${sheet.id}`}><strong>{sheet.tabName}</strong></Link>
                {' '}<StatusBadge status={health.state} label={health.label} />
                <span className="muted small break"> {sheet.serviceAccountEmail} · {sheet.events.join(', ')}</span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
