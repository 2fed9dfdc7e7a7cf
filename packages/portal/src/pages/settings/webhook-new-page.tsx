import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { ApiError, api } from '../../api/client';
import { useIdempotencyKeys } from '../../lib/idempotency';
import { useWebhookPresets } from '../../api/queries';
import type { PresetId, Webhook, WebhookInput, WebhookPreset } from '../../api/types';
import { CopyButton, ErrorNotice, Field, Notice, PageHeader } from '../../components/ui';
import { headersFromRows, WebhookFields, type WebhookFormValues } from './webhook-form';

const EMPTY: WebhookFormValues = { url: '', events: ['lead.captured', 'escalation.created'], chatbotId: '', signingMode: 'hmac-sha256', bodyFormat: 'json', headers: [] };

/** Field errors from the API (`body.url`, `events`, `mappings[…]`) → the form's fields. */
export function webhookFieldErrors(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(error instanceof ApiError)) return out;
  for (const fe of error.fieldErrors) {
    const field = fe.field.replace(/^body\./, '').split(/[.[]/)[0] ?? '';
    out[field] ??= fe.message;
  }
  return out;
}

export function WebhookNewPage() {
  const queryClient = useQueryClient();
  const [values, setValues] = useState<WebhookFormValues>(EMPTY);
  const [preset, setPreset] = useState<WebhookPreset | null>(null);
  const [secretChoice, setSecretChoice] = useState<'generate' | 'own'>('generate');
  const [ownSecret, setOwnSecret] = useState('');
  const [headerErrors, setHeaderErrors] = useState<Record<number, string>>({});
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const presets = useWebhookPresets();

  const createKeys = useIdempotencyKeys();
  const create = useMutation({
    mutationFn: (body: WebhookInput) => api.post<Webhook & { secret: string }>('/api/portal/webhooks', body, { idempotencyKey: createKeys.keyFor(body) }),
    onSuccess: () => {
      createKeys.settle();
      return queryClient.invalidateQueries({ queryKey: ['/api/portal/webhooks'] });
    },
  });

  const choosePreset = (id: string) => {
    const chosen = presets.data?.items.find((p) => p.id === id) ?? null;
    setPreset(chosen);
    if (chosen) {
      setValues((v) => ({
        ...v, url: chosen.urlTemplate, events: chosen.events, bodyFormat: chosen.bodyFormat,
        headers: Object.entries(chosen.headers).map(([name, value]) => ({ name, value, hidden: '' })),
      }));
    }
  };

  const submit = () => {
    const { headers, errors } = headersFromRows(values.headers);
    const problems: Record<string, string> = {};
    if (!/^https?:\/\/\S+$/.test(values.url.trim())) problems.url = 'Enter a URL starting with https://';
    else if (/<[^>]+>/.test(values.url)) problems.url = 'Replace the <…> parts of the preset URL with your own ids.';
    if (values.events.length === 0) problems.events = 'Choose at least one event.';
    if (secretChoice === 'own' && ownSecret.trim().length < 8) problems.secret = 'Use at least 8 characters.';
    setHeaderErrors(errors);
    setLocalErrors(problems);
    if (Object.keys(errors).length > 0 || Object.keys(problems).length > 0) return;
    create.mutate({
      url: values.url.trim(), events: values.events, chatbotId: values.chatbotId || null, signingMode: values.signingMode,
      // A preset without fields of its own (Generic JSON) starts from the default fields, stored as rows the editor shows.
      bodyFormat: values.bodyFormat, headers, ...(preset ? { preset: preset.id as PresetId, ...(Object.keys(preset.mappings).length > 0 ? { mappings: preset.mappings } : {}) } : {}),
      ...(secretChoice === 'own' ? { secret: ownSecret.trim() } : {}),
    });
  };

  if (create.data) {
    const hook = create.data;
    return (
      <>
        <PageHeader title="Webhook created" />
        <section className="card secret-once">
          <h2>Your signing secret</h2>
          <p><strong>Copy it now</strong> and store it with your receiver: it is shown only this once. You can rotate it later.</p>
          <div className="snippet"><pre><code>{hook.secret}</code></pre><CopyButton text={hook.secret} /></div>
          <p>Next: check the fields it sends, then press “Send test”.</p>
          <Link className="button button-primary" to={`/settings/webhooks/${hook.id}`}>Continue: fields and test</Link>
        </section>
      </>
    );
  }

  const errors = { ...webhookFieldErrors(create.error), ...localErrors };
  return (
    <>
      <PageHeader title="New webhook" actions={<Link className="button" to="/settings/webhooks">Back to webhooks</Link>} />
      <form className="card" onSubmit={(e) => { e.preventDefault(); submit(); }} noValidate>
        <Field id="wh-preset" label="Start from" hint="Presets fill in the URL pattern, events, body format and fields a CRM expects.">
          <select id="wh-preset" value={preset?.id ?? ''} onChange={(e) => choosePreset(e.target.value)}>
            <option value="">A plain webhook (JSON)</option>
            {(presets.data?.items ?? []).map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </select>
        </Field>
        {preset ? <Notice kind="info">{preset.instructions}</Notice> : null}
        <WebhookFields values={values} update={(patch) => setValues((v) => ({ ...v, ...patch }))} errors={errors} headerErrors={headerErrors} />
        <fieldset>
          <legend>Secret</legend>
          <label className="checkbox"><input type="radio" name="secretChoice" checked={secretChoice === 'generate'} onChange={() => setSecretChoice('generate')} /> Generate a strong secret for me</label>
          <label className="checkbox"><input type="radio" name="secretChoice" checked={secretChoice === 'own'} onChange={() => setSecretChoice('own')} /> Use my own secret</label>
          {secretChoice === 'own' ? (
            <Field id="wh-secret" label="Secret" hint="8–256 visible characters, or a whsec_… secret." error={errors.secret}>
              <input id="wh-secret" type="password" autoComplete="off" value={ownSecret} onChange={(e) => setOwnSecret(e.target.value)} />
            </Field>
          ) : null}
        </fieldset>
        <ErrorNotice error={create.error} title="Not created." />
        <button type="submit" className="button button-primary" disabled={create.isPending}>{create.isPending ? 'Creating…' : 'Create webhook'}</button>
      </form>
    </>
  );
}
