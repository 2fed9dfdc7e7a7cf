import { EVENT_TYPES } from '@fc/contracts/events';
import type { BodyFormat, SigningMode } from '../../api/types';
import { ChatbotSelect } from '../../components/chatbot-select';
import { Field, describedBy } from '../../components/ui';

/** Event types a webhook can subscribe to (`webhook.test` is sent only by "Send test"). */
export const SUBSCRIBABLE_EVENTS: string[] = EVENT_TYPES.filter((type) => type !== 'webhook.test');

export const EVENT_DESCRIPTIONS: Record<string, string> = {
  'lead.captured': 'A visitor left their contact details (once per conversation, when the bot has asked for everything)',
  'lead.updated': 'A lead already sent changed (a corrected or added name, email, phone or intent)',
  'escalation.created': 'The bot handed a conversation to a human',
  'escalation.resolved': 'An escalation was resolved',
  'conversation.started': 'A visitor started a chat',
  'conversation.ended': 'A chat went quiet (idle time in the chatbot settings)',
  'message.rated': 'A visitor rated an answer (thumbs up or down)',
  'conversation.rated': 'A visitor rated the help a person gave, after the conversation was resolved (1–5)',
};

export interface HeaderRow { name: string; value: string; hidden: string }

export interface WebhookFormValues {
  url: string;
  events: string[];
  chatbotId: string;
  signingMode: SigningMode;
  bodyFormat: BodyFormat;
  headers: HeaderRow[];
}

/** Header rows → the headers object; a row whose value was hidden by the API must be typed again. */
export function headersFromRows(rows: HeaderRow[]): { headers: Record<string, string>; errors: Record<number, string> } {
  const headers: Record<string, string> = {};
  const errors: Record<number, string> = {};
  const seen = new Set<string>();
  rows.forEach((row, index) => {
    const name = row.name.trim();
    if (name === '' && row.value === '') return;
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) errors[index] = 'Header names use letters, digits and - only.';
    else if (seen.has(name.toLowerCase())) errors[index] = `"${name}" appears twice.`;
    else if (row.value === '') errors[index] = row.hidden ? 'Type the value again: saved values are hidden and cannot be kept when headers are edited.' : 'Enter a value.';
    else headers[name] = row.value;
    seen.add(name.toLowerCase());
  });
  return { headers, errors };
}

type Update = (patch: Partial<WebhookFormValues>) => void;

/** The fields shared by "new webhook" and "edit webhook". */
export function WebhookFields({ values, update, errors, headerErrors }: {
  values: WebhookFormValues; update: Update; errors: Record<string, string | undefined>; headerErrors: Record<number, string>;
}) {
  const toggleEvent = (event: string, checked: boolean) => update({ events: checked ? [...values.events, event] : values.events.filter((e) => e !== event) });
  const setHeader = (index: number, patch: Partial<HeaderRow>) => update({ headers: values.headers.map((row, i) => (i === index ? { ...row, ...patch } : row)) });
  return (
    <>
      <Field id="wh-url" label="Endpoint URL" hint="Where we POST each event. HTTPS recommended." error={errors.url}>
        <input id="wh-url" type="url" value={values.url} placeholder="https://example.com/hooks/fusionchatalyst" {...describedBy('wh-url', { hint: true, error: errors.url })}
          onChange={(e) => update({ url: e.target.value })} />
      </Field>
      <EventCheckboxes legend="Events" events={SUBSCRIBABLE_EVENTS} selected={values.events} onToggle={toggleEvent} error={errors.events} />
      <div className="grid-2">
        <Field id="wh-bot" label="Only for chatbot" error={errors.chatbotId}>
          <ChatbotSelect id="wh-bot" value={values.chatbotId} onChange={(chatbotId) => update({ chatbotId })} allLabel="All chatbots" />
        </Field>
        <Field id="wh-format" label="Body format" hint="JSON for most tools; form-encoded for CRMs like Salesforce Web-to-Lead.">
          <select id="wh-format" value={values.bodyFormat} onChange={(e) => update({ bodyFormat: e.target.value as BodyFormat })}>
            <option value="json">JSON</option>
            <option value="form">Form-encoded</option>
          </select>
        </Field>
      </div>
      <fieldset>
        <legend>Signing</legend>
        <label className="checkbox">
          <input type="radio" name="signingMode" checked={values.signingMode === 'hmac-sha256'} onChange={() => update({ signingMode: 'hmac-sha256' })} />
          HMAC-SHA256 signature (recommended): <code>X-FC-Signature</code> = <code>webhook-signature</code>
        </label>
        <label className="checkbox">
          <input type="radio" name="signingMode" checked={values.signingMode === 'shared-secret'} onChange={() => update({ signingMode: 'shared-secret' })} />
          Shared secret: <code>X-FC-Signature</code> carries your secret as is (for tools that can only compare a header)
        </label>
        <p className="hint">The Standard Webhooks headers (<code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>) are sent either way.</p>
      </fieldset>
      <fieldset>
        <legend>Custom headers</legend>
        <p className="hint">For receivers that need a token, e.g. <code>Authorization</code> or <code>x-api-token</code>. Values are stored encrypted.</p>
        {values.headers.map((row, index) => (
          <div key={index} className={`header-row${headerErrors[index] ? ' field-invalid' : ''}`}>
            <label className="visually-hidden" htmlFor={`hdr-${index}-name`}>Header name</label>
            <input id={`hdr-${index}-name`} placeholder="Header name" value={row.name} onChange={(e) => setHeader(index, { name: e.target.value })} />
            <label className="visually-hidden" htmlFor={`hdr-${index}-value`}>Header value</label>
            <input id={`hdr-${index}-value`} placeholder={row.hidden ? `saved: ${row.hidden}` : 'Value'} value={row.value} onChange={(e) => setHeader(index, { value: e.target.value })} autoComplete="off" />
            <button type="button" className="button button-small button-danger" onClick={() => update({ headers: values.headers.filter((_, i) => i !== index) })}>Remove</button>
            {headerErrors[index] ? <p className="field-error" role="alert">{headerErrors[index]}</p> : null}
          </div>
        ))}
        <button type="button" className="button button-small" onClick={() => update({ headers: [...values.headers, { name: '', value: '', hidden: '' }] })}>Add header</button>
      </fieldset>
    </>
  );
}

/** A checkbox per event type with its description (webhooks and Google Sheets). */
export function EventCheckboxes({ legend, events, selected, onToggle, error }: {
  legend: string; events: readonly string[]; selected: readonly string[]; onToggle: (event: string, checked: boolean) => void; error?: string | undefined;
}) {
  return (
    <fieldset className={error ? 'field-invalid' : ''}>
      <legend>{legend}</legend>
      {events.map((event) => (
        <label key={event} className="checkbox">
          <input type="checkbox" checked={selected.includes(event)} onChange={(e) => onToggle(event, e.target.checked)} />
          <code>{event}</code> <span className="muted small">{EVENT_DESCRIPTIONS[event] ?? ''}</span>
        </label>
      ))}
      {error ? <p className="field-error" role="alert">{error}</p> : null}
    </fieldset>
  );
}
