import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api } from '../../api/client';
import type { BodyFormat, Mappings, PreviewResult } from '../../api/types';
import { ErrorNotice, Loading, Notice } from '../../components/ui';
import { useDebouncedValue } from '../../lib/use-debounced-value';
import { mappingToRows, rowsToMapping, sourcePathsFor, type ConstType, type MappingRow, type RowKind } from '../../lib/mapping-rows';

const PREVIEW_DEBOUNCE_MS = 400;

/** The server's rendering of a payload preview request (a JSON string), debounced while the customer types. */
export function usePayloadPreview(request: string, enabled: boolean) {
  const debounced = useDebouncedValue(request, PREVIEW_DEBOUNCE_MS);
  return useQuery({
    queryKey: ['/api/portal/webhooks/preview', debounced],
    queryFn: ({ signal }) => api.post<PreviewResult>('/api/portal/webhooks/preview', JSON.parse(debounced) as unknown, { signal }),
    enabled,
    placeholderData: (previous) => previous,
    retry: false,
  });
}
const KIND_LABEL: Record<RowKind, string> = { path: 'Field', template: 'Template', const: 'Fixed value', json: 'Advanced (JSON)' };

export type RowsByEvent = Record<string, MappingRow[]>;

/** Turns the editor's rows for every event key into the mappings to store, plus row problems per key. */
export function collectMappings(rowsByEvent: RowsByEvent): { mappings: Mappings; errors: Record<string, Record<number, string>> } {
  const mappings: Mappings = {};
  const errors: Record<string, Record<number, string>> = {};
  for (const [eventKey, rows] of Object.entries(rowsByEvent)) {
    const result = rowsToMapping(rows, eventKey);
    if (Object.keys(result.errors).length > 0) errors[eventKey] = result.errors;
    if (rows.length > 0) mappings[eventKey] = result.mapping;
  }
  return { mappings, errors };
}

/** Words that differ between a webhook field and a spreadsheet column (the Google Sheets form reuses the row editor). */
export interface RowLabels {
  /** What one row is called: "Field", "Column". */
  noun: string;
  /** Label of the output name: "Receiver gets", "Column header". */
  key: string;
  keyPlaceholder: string;
}
const FIELD_LABELS: RowLabels = { noun: 'Field', key: 'Receiver gets', keyPlaceholder: 'e.g. email' };

/** One "output ← source" row: a source path, a template, a constant or advanced JSON. */
export function RowEditor({ row, index, eventKey, error, onChange, onRemove, labels = FIELD_LABELS }: {
  row: MappingRow; index: number; eventKey: string; error: string | undefined; onChange: (row: MappingRow) => void; onRemove: () => void; labels?: RowLabels;
}) {
  const id = `map-${eventKey}-${index}`;
  const paths = sourcePathsFor(eventKey);
  return (
    <div className={`mapping-row${error ? ' field-invalid' : ''}`} role="group" aria-label={`${labels.noun} ${index + 1}`}>
      <div className="mapping-cell">
        <label htmlFor={`${id}-key`} className="small">{labels.key}</label>
        <input id={`${id}-key`} value={row.key} placeholder={labels.keyPlaceholder} onChange={(e) => onChange({ ...row, key: e.target.value })} />
      </div>
      <span className="mapping-arrow" aria-hidden="true">←</span>
      <div className="mapping-cell">
        <label htmlFor={`${id}-kind`} className="small">From</label>
        <select id={`${id}-kind`} value={row.kind} onChange={(e) => onChange({ ...row, kind: e.target.value as RowKind, value: e.target.value === 'json' ? '{"object": {}}' : '' })}>
          {(Object.keys(KIND_LABEL) as RowKind[]).map((kind) => <option key={kind} value={kind}>{KIND_LABEL[kind]}</option>)}
        </select>
      </div>
      <div className="mapping-cell mapping-value">
        <label htmlFor={`${id}-value`} className="small">Value</label>
        {row.kind === 'path' ? (
          <select id={`${id}-value`} value={row.value} onChange={(e) => onChange({ ...row, value: e.target.value })}>
            <option value="">Choose a field…</option>
            {paths.map((path) => <option key={path} value={path}>{path}</option>)}
            {row.value && !paths.includes(row.value) ? <option value={row.value}>{row.value}</option> : null}
          </select>
        ) : row.kind === 'template' ? (
          <input id={`${id}-value`} value={row.value} placeholder='{{lead.name}} via {{chatbot.name}}' onChange={(e) => onChange({ ...row, value: e.target.value })} />
        ) : row.kind === 'const' ? (
          <div className="const-input">
            <select aria-label="Type" value={row.constType} onChange={(e) => onChange({ ...row, constType: e.target.value as ConstType, value: e.target.value === 'boolean' ? 'true' : '' })}>
              <option value="string">Text</option>
              <option value="number">Number</option>
              <option value="boolean">True/false</option>
              <option value="null">Empty (null)</option>
            </select>
            {row.constType === 'boolean' ? (
              <select id={`${id}-value`} value={row.value} onChange={(e) => onChange({ ...row, value: e.target.value })}>
                <option value="true">true</option><option value="false">false</option>
              </select>
            ) : row.constType === 'null' ? <span className="muted small">null</span> : (
              <input id={`${id}-value`} value={row.value} inputMode={row.constType === 'number' ? 'decimal' : undefined} onChange={(e) => onChange({ ...row, value: e.target.value })} />
            )}
          </div>
        ) : (
          <textarea id={`${id}-value`} rows={4} className="code" value={row.value} onChange={(e) => onChange({ ...row, value: e.target.value })} />
        )}
      </div>
      <button type="button" className="button button-small button-danger mapping-remove" onClick={onRemove} aria-label={`Remove ${labels.noun.toLowerCase()} ${row.key || index + 1}`}>Remove</button>
      {error ? <p className="field-error mapping-error" role="alert">{error}</p> : null}
    </div>
  );
}

/**
 * Rows of "receiver key ← source" per event type (or "*" for every event), with a live preview of the exact
 * payload rendered by the server from the customer's latest real event of that type (or a sample).
 */
export function MappingEditor({ rowsByEvent, onChange, eventKeys, subscribedEvents, bodyFormat, chatbotId, serverErrors, defaults }: {
  rowsByEvent: RowsByEvent;
  onChange: (next: RowsByEvent) => void;
  eventKeys: string[];
  subscribedEvents: string[];
  bodyFormat: BodyFormat;
  chatbotId: string | null;
  serverErrors: Record<string, string>;
  /** Each event's default fields (sent when neither the event nor "*" has fields of its own). */
  defaults: Mappings;
}) {
  const firstSubscribed = subscribedEvents.find((key) => eventKeys.includes(key));
  const [eventKey, setEventKey] = useState(eventKeys.find((key) => (rowsByEvent[key]?.length ?? 0) > 0) ?? firstSubscribed ?? eventKeys[0] ?? '*');
  const [previewType, setPreviewType] = useState(subscribedEvents[0] ?? 'lead.captured');
  const [keptDefaults, setKeptDefaults] = useState<string[]>([]);
  const ownRows = rowsByEvent[eventKey] ?? [];
  const hasCommonRows = (rowsByEvent['*']?.length ?? 0) > 0;
  // An event with no fields of its own sends its defaults: the editor starts from those rows, so adding, changing
  // or removing one customises the event without silently dropping the others.
  const inheritedRows = ownRows.length === 0 && eventKey !== '*' && !hasCommonRows ? mappingToRows(defaults[eventKey]) : [];
  const isInherited = inheritedRows.length > 0;
  const rows = isInherited ? inheritedRows : ownRows;
  const { mappings, errors } = useMemo(() => collectMappings(rowsByEvent), [rowsByEvent]);
  const rowErrors = errors[eventKey] ?? {};
  const hasErrors = Object.keys(errors).length > 0;
  const previewEvent = eventKey === '*' ? previewType : eventKey;

  const previewRequest = JSON.stringify({ eventType: previewEvent, mappings, bodyFormat, ...(chatbotId ? { chatbotId } : {}) });
  const preview = usePayloadPreview(previewRequest, !hasErrors);

  const setRows = (next: MappingRow[]) => {
    const changed: RowsByEvent = { ...rowsByEvent, [eventKey]: next };
    // The first "every event" field would replace the defaults of every event without fields of its own: they
    // keep their defaults as their own rows instead, and the editor says so.
    if (eventKey === '*' && !hasCommonRows && next.length > 0) {
      const kept = subscribedEvents.filter((type) => (rowsByEvent[type]?.length ?? 0) === 0 && Object.keys(defaults[type] ?? {}).length > 0);
      for (const type of kept) changed[type] = mappingToRows(defaults[type]);
      setKeptDefaults(kept);
    }
    onChange(changed);
  };
  const startFromScratch = () => {
    if (window.confirm(`Replace the ${rows.length} fields ${eventKey} sends now (${rows.map((r) => r.key).join(', ')})? It will send only the fields you add.`)) {
      setRows([{ key: '', kind: 'path', value: '', constType: 'string' }]);
    }
  };
  const usesFallback = rows.length === 0;

  return (
    <div className="mapping-editor">
      <div className="filters">
        <label htmlFor="mapping-event">Fields sent for</label>
        <select id="mapping-event" value={eventKey} onChange={(e) => setEventKey(e.target.value)}>
          {eventKeys.map((key) => (
            <option key={key} value={key}>{key === '*' ? 'Every event (*)' : key}{(rowsByEvent[key]?.length ?? 0) > 0 ? '' : ' (not customised)'}</option>
          ))}
        </select>
      </div>
      {usesFallback ? (
        <p className="muted small">
          {eventKey === '*'
            ? 'No fields shared by every event. Fields added here are sent with every event type (an event’s own fields win).'
            : (rowsByEvent['*']?.length ?? 0) > 0 ? `Not customised: ${eventKey} sends the “every event” fields.` : `Not customised: ${eventKey} sends the default fields shown in the preview.`}
        </p>
      ) : null}
      {isInherited ? (
        <p className="muted small">
          Not customised: {eventKey} sends these default fields. Change, remove or add one to customise them; the others stay.{' '}
          <button type="button" className="button-link" onClick={startFromScratch}>Start from scratch instead</button>
        </p>
      ) : null}
      {eventKey === '*' && keptDefaults.length > 0 ? (
        <Notice kind="warning">
          Fields for every event replace an event’s default fields, so {keptDefaults.join(', ')} now list{keptDefaults.length === 1 ? 's' : ''} its defaults as its own fields and keep{keptDefaults.length === 1 ? 's' : ''} sending them, plus the fields added here.
        </Notice>
      ) : null}
      <div className="mapping-rows">
        {rows.map((row, index) => (
          <RowEditor
            key={index}
            row={row}
            index={index}
            eventKey={eventKey}
            error={rowErrors[index] ?? serverErrors[`${eventKey}\u0000${row.key}`]}
            onChange={(next) => setRows(rows.map((r, i) => (i === index ? next : r)))}
            onRemove={() => setRows(rows.filter((_, i) => i !== index))}
          />
        ))}
      </div>
      <button type="button" className="button button-small" onClick={() => setRows([...rows, { key: '', kind: 'path', value: '', constType: 'string' }])}>Add field</button>
      <p className="hint">
        Templates mix text and fields: <code>{'{{lead.name}} wants a quote'}</code>; filters: <code>{'{{lead.name | default:"there" | upper}}'}</code>,
        {' '}<code>{'{{conversation.startedAt | date:"date"}}'}</code>, <code>{'{{conversation.transcript | join:"\\n"}}'}</code>.
        The envelope keys (eventType, eventTimestamp, eventId, customerId, chatbotId, conversationId) are always added.
      </p>

      <section className="preview-panel" aria-label="Payload preview">
        <div className="preview-head">
          <h3>Preview</h3>
          {eventKey === '*' ? (
            <>
              <label htmlFor="preview-type" className="small">as</label>
              <select id="preview-type" value={previewType} onChange={(e) => setPreviewType(e.target.value)}>
                {subscribedEvents.map((type) => <option key={type} value={type}>{type}</option>)}
              </select>
            </>
          ) : null}
          {preview.data ? (
            <span className="muted small">
              {preview.data.fromEventId ? `from your latest ${previewEvent} event (${preview.data.fromEventId})` : `from a sample ${previewEvent} event (no real one yet)`} · {preview.data.contentType}
            </span>
          ) : null}
        </div>
        {hasErrors ? <p className="text-warn small">Fix the highlighted fields to update the preview.</p> : null}
        {preview.isPending && !hasErrors ? <Loading label="Rendering…" /> : null}
        <ErrorNotice error={preview.error} />
        {preview.data ? <pre className="code-block" aria-live="polite">{bodyFormat === 'form' ? preview.data.body : JSON.stringify(preview.data.payload, null, 2)}</pre> : null}
      </section>
    </div>
  );
}
