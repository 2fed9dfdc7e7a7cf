import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useFieldArray, useForm, type Path } from 'react-hook-form';
import { useNavigate } from 'react-router';
import { ApiError, api } from '../../api/client';
import type { Chatbot } from '../../api/types';
import { ErrorNotice, Field, Notice, describedBy } from '../../components/ui';
import { humanize } from '../../lib/format';
import { LEAD_FIELDS, LEAD_INTENT_CHOICES, WEEK, toFormFieldName, toFormValues, toUpdateBody, type SettingsFormValues } from '../../lib/settings-form';
import { useCurrentChatbot } from './chatbot-layout';

const ORIGIN_SHAPE = /^https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?\/*$/;
// The browser's IANA zones are the ones the server's runtime knows too (both ship ICU's tz data).
const TIME_ZONES = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')];

export function SettingsTab() {
  const chatbot = useCurrentChatbot();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const form = useForm<SettingsFormValues>({ values: toFormValues(chatbot), resetOptions: { keepDirtyValues: false } });
  const { register, handleSubmit, watch, setError, formState: { errors, isDirty } } = form;
  const customIntents = useFieldArray({ control: form.control, name: 'customIntents' });

  const save = useMutation({
    mutationFn: (values: SettingsFormValues) => api.patch<Chatbot>(`/api/portal/chatbots/${chatbot.id}`, toUpdateBody(values)),
    onSuccess: (updated) => {
      queryClient.setQueryData(['chatbots', chatbot.id], updated);
      void queryClient.invalidateQueries({ queryKey: ['chatbots'], exact: true });
    },
    onError: (error) => {
      if (!(error instanceof ApiError)) return;
      for (const fe of error.fieldErrors) {
        const name = toFormFieldName(fe.field);
        if (name) setError(name as Path<SettingsFormValues>, { message: fe.message });
      }
    },
  });
  const remove = useMutation({
    mutationFn: () => api.delete(`/api/portal/chatbots/${chatbot.id}`),
    onSuccess: async () => {
      queryClient.removeQueries({ queryKey: ['chatbots', chatbot.id] });
      await queryClient.invalidateQueries({ queryKey: ['chatbots'] });
      void navigate('/chatbots', { replace: true });
    },
  });

  const leadFields = watch('leadCapture.fields');
  const llmEnabled = watch('llmEnabled');
  const hoursEnabled = watch('businessHours.enabled');
  const hoursDays = watch('businessHours.days');
  const timezone = watch('businessHours.timezone');
  const zones = TIME_ZONES.includes(timezone) ? TIME_ZONES : [timezone, ...TIME_ZONES];
  const knownIntents = [...LEAD_INTENT_CHOICES, ...watch('customIntents').map((row) => row.name.trim()).filter((name) => name !== '')];
  const err = (message: string | undefined) => message;

  return (
    <form className="settings-form" onSubmit={handleSubmit((values) => save.mutate(values))} noValidate>
      <section className="card">
        <h2>Basics</h2>
        <Field id="name" label="Chatbot name" error={errors.name?.message}>
          <input id="name" {...describedBy('name', { error: errors.name?.message })} {...register('name', { required: 'A name is required.' })} />
        </Field>
        <Field id="greeting" label="Greeting" hint="The first message visitors see. Say everything in words: emoji are fine as decoration, but on computers without an emoji font the widget leaves them out." error={errors.greeting?.message}>
          <textarea id="greeting" rows={2} {...describedBy('greeting', { hint: true, error: errors.greeting?.message })}
            {...register('greeting', { required: 'Write a greeting.', maxLength: { value: 500, message: 'At most 500 characters.' } })} />
        </Field>
        <Field id="quickReplies" label="Quick replies" hint="Buttons under the greeting, one per line (up to 6), e.g. “Get a quote”." error={errors.quickReplies?.message}>
          <textarea id="quickReplies" rows={3} {...describedBy('quickReplies', { hint: true, error: errors.quickReplies?.message })} {...register('quickReplies')} />
        </Field>
        <div className="grid-2">
          <Field id="locale" label="Language (locale)" hint="e.g. en-US, es-ES, fr-FR, de-DE, pt-BR: the language of your chatbot, and of dates it writes." error={errors.locale?.message}>
            <input id="locale" {...describedBy('locale', { hint: true, error: errors.locale?.message })} {...register('locale', { required: 'Required.' })} />
          </Field>
          <Field id="widgetLanguage" label="Widget buttons and notices in" error={errors.widgetLanguage?.message}
            hint="The widget speaks English, Spanish, French, German and Portuguese (other languages fall back to English). Your greeting and answers stay as you write them.">
            <select id="widgetLanguage" {...describedBy('widgetLanguage', { hint: true, error: errors.widgetLanguage?.message })} {...register('widgetLanguage')}>
              <option value="locale">The chatbot's language (locale above)</option>
              <option value="browser">Each visitor's browser language</option>
            </select>
          </Field>
          <Field id="defaultPhoneRegion" label="Default phone country" hint="Two letters, e.g. US or GB: used to read local phone numbers." error={errors.defaultPhoneRegion?.message}>
            <input id="defaultPhoneRegion" maxLength={2} {...describedBy('defaultPhoneRegion', { hint: true, error: errors.defaultPhoneRegion?.message })}
              {...register('defaultPhoneRegion', { required: 'Required.', pattern: { value: /^[A-Za-z]{2}$/, message: 'Two letters, e.g. US.' } })} />
          </Field>
        </div>
        <Field id="allowedOrigins" label="Allowed websites" error={errors.allowedOrigins?.message}
          hint="One per line, like https://www.example.com or https://*.example.com. Empty = the widget works on any site (handy while you try it).">
          <textarea id="allowedOrigins" rows={3} {...describedBy('allowedOrigins', { hint: true, error: errors.allowedOrigins?.message })}
            {...register('allowedOrigins', {
              validate: (text) => {
                const bad = text.split(/[\n,]/).map((s) => s.trim()).filter((s) => s !== '' && !ORIGIN_SHAPE.test(s));
                return bad.length === 0 || `Not a site address: ${bad.join(', ')} (write https://example.com, without a path).`;
              },
            })} />
        </Field>
      </section>

      <section className="card">
        <h2>Lead capture</h2>
        <label className="checkbox"><input type="checkbox" {...register('leadCapture.enabled')} /> Ask for contact details when a visitor wants something</label>
        <fieldset>
          <legend>Details to ask for</legend>
          {LEAD_FIELDS.map((field) => (
            <label key={field} className="checkbox inline"><input type="checkbox" value={field} {...register('leadCapture.fields')} /> {humanize(field)}</label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Required before the lead is sent</legend>
          {LEAD_FIELDS.map((field) => (
            <label key={field} className="checkbox inline">
              <input type="checkbox" value={field} disabled={!leadFields.includes(field)} {...register('leadCapture.requiredFields')} /> {humanize(field)}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>When the visitor wants to…</legend>
          {[...new Set(knownIntents)].map((intent) => (
            <label key={intent} className="checkbox inline"><input type="checkbox" value={intent} {...register('leadCapture.intents')} /> {humanize(intent)}</label>
          ))}
        </fieldset>
      </section>

      <section className="card">
        <h2>Custom intents</h2>
        <p className="muted small">Teach the bot to recognise what your visitors ask for, with a few example phrasings each.</p>
        {customIntents.fields.length === 0 ? <p className="muted">No custom intents.</p> : null}
        {customIntents.fields.map((row, index) => (
          <div key={row.id} className="intent-row">
            <Field id={`intent-${index}-name`} label="Name (lowercase_with_underscores)" error={err(errors.customIntents?.[index]?.name?.message)}>
              <input id={`intent-${index}-name`} {...register(`customIntents.${index}.name`, { pattern: { value: /^[a-z][a-z0-9_]{1,39}$/, message: 'Use 2–40 lowercase letters, digits or _ (start with a letter).' } })} />
            </Field>
            <Field id={`intent-${index}-examples`} label="Examples, one per line" error={err(errors.customIntents?.[index]?.examples?.message)}>
              <textarea id={`intent-${index}-examples`} rows={3} {...register(`customIntents.${index}.examples`, { required: 'Give at least one example.' })} />
            </Field>
            <label className="checkbox"><input type="checkbox" {...register(`customIntents.${index}.captureLead`)} /> Capture a lead for this intent</label>
            <button type="button" className="button button-small button-danger" onClick={() => customIntents.remove(index)}>Remove intent</button>
          </div>
        ))}
        <button type="button" className="button button-small" onClick={() => customIntents.append({ name: '', examples: '', captureLead: false })}>Add intent</button>
      </section>

      <section className="card">
        <h2>Hand-off to a human (escalation)</h2>
        <label className="checkbox"><input type="checkbox" {...register('escalation.enabled')} /> Escalate conversations to your team</label>
        <fieldset>
          <legend>Escalate when the visitor…</legend>
          <label className="checkbox inline"><input type="checkbox" {...register('escalation.onRequest')} /> asks for a person</label>
          <label className="checkbox inline"><input type="checkbox" {...register('escalation.onAnger')} /> is angry</label>
          <label className="checkbox inline"><input type="checkbox" {...register('escalation.onComplaint')} /> complains</label>
          <label className="checkbox inline"><input type="checkbox" {...register('escalation.onLegal')} /> mentions legal action</label>
        </fieldset>
        <div className="grid-2">
          <Field id="maxFailedAnswers" label="…or after this many unanswered questions" hint="0 turns this off." error={errors.escalation?.maxFailedAnswers?.message}>
            <input id="maxFailedAnswers" type="number" min={0} max={20} {...register('escalation.maxFailedAnswers', { valueAsNumber: true, min: { value: 0, message: '0 to 20.' }, max: { value: 20, message: '0 to 20.' } })} />
          </Field>
          <Field id="keywordsText" label="…or uses one of these words" hint="Comma-separated, e.g. refund, emergency." error={errors.escalation?.keywordsText?.message}>
            <input id="keywordsText" {...register('escalation.keywordsText')} />
          </Field>
        </div>
      </section>

      <section className="card">
        <h2>Business hours</h2>
        <p className="muted small">
          When your team answers hand-offs. Outside these hours the bot collects the visitor's contact details and
          tells them when you will answer.
        </p>
        <label className="checkbox"><input type="checkbox" {...register('businessHours.enabled')} /> Only promise a person during these hours</label>
        {errors.businessHours?.enabled?.message ? <p className="field-error" role="alert">{errors.businessHours.enabled.message}</p> : null}
        {/* Hidden rather than disabled: react-hook-form drops disabled inputs' values, and these must round-trip. */}
        {hoursEnabled ? (
          <>
            <Field id="timezone" label="Time zone" hint={`Now there: ${describeNow(timezone)}`} error={errors.businessHours?.timezone?.message}>
              <select id="timezone" {...describedBy('timezone', { hint: true, error: errors.businessHours?.timezone?.message })} {...register('businessHours.timezone')}>
                {zones.map((zone) => <option key={zone} value={zone}>{zone.replaceAll('_', ' ')}</option>)}
              </select>
            </Field>
            <table className="hours-table">
              <caption className="visually-hidden">Opening hours per day</caption>
              <thead><tr><th scope="col">Day</th><th scope="col">Closed</th><th scope="col">Open from – to</th></tr></thead>
              <tbody>
                {WEEK.map(({ day, label }, index) => {
                  const row = hoursDays[index];
                  const isClosed = row?.isClosed ?? true;
                  const rowError = errors.businessHours?.days?.[index]?.close?.message;
                  return (
                    <tr key={day}>
                      <th scope="row">{label}</th>
                      <td><input type="checkbox" aria-label={`${label} closed`} {...register(`businessHours.days.${index}.isClosed`)} /></td>
                      {isClosed ? <td className="muted">Closed</td> : (
                        <td>
                          <div className="hours-range">
                            <input type="time" aria-label={`${label} opens`} {...register(`businessHours.days.${index}.open`, { required: 'Required.' })} />
                            <span aria-hidden="true">–</span>
                            <input type="time" aria-label={`${label} closes`} aria-invalid={rowError ? true : undefined}
                              {...register(`businessHours.days.${index}.close`, {
                                validate: (close, values) => {
                                  const opening = values.businessHours.days[index];
                                  if (!values.businessHours.enabled || !opening || opening.isClosed) return true;
                                  return close === '00:00' || close > opening.open || 'Closes before it opens (00:00 is midnight).';
                                },
                              })} />
                            {row && row.more.length > 0 ? <span className="muted small">+{row.more.length} more</span> : null}
                          </div>
                          {rowError ? <p className="field-error" role="alert">{rowError}</p> : null}
                        </td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <p className="hint">Closing at 00:00 means midnight.</p>
          </>
        ) : null}
      </section>

      <section className="card">
        <h2>Limits</h2>
        <div className="grid-3">
          <Field id="perVisitor" label="Messages per visitor per minute" error={errors.rateLimit?.perVisitorPerMinute?.message}>
            <input id="perVisitor" type="number" min={1} max={1000} {...register('rateLimit.perVisitorPerMinute', { valueAsNumber: true, min: { value: 1, message: '1 to 1,000.' }, max: { value: 1000, message: '1 to 1,000.' } })} />
          </Field>
          <Field id="perIp" label="Messages per network address per minute" error={errors.rateLimit?.perIpPerMinute?.message}>
            <input id="perIp" type="number" min={1} max={10000} {...register('rateLimit.perIpPerMinute', { valueAsNumber: true, min: { value: 1, message: '1 to 10,000.' }, max: { value: 10000, message: '1 to 10,000.' } })} />
          </Field>
          <Field id="idle" label="Minutes of quiet before a conversation ends" error={errors.idleMinutesBeforeEnded?.message}>
            <input id="idle" type="number" min={1} max={10080} {...register('idleMinutesBeforeEnded', { valueAsNumber: true, min: { value: 1, message: '1 to 10,080 (a week).' }, max: { value: 10080, message: '1 to 10,080 (a week).' } })} />
          </Field>
        </div>
      </section>

      <section className="card">
        <h2>Answers from an LLM (optional)</h2>
        <p className="muted small">
          By default the bot answers by quoting your knowledge base, with no outside service. You can instead bring an
          OpenAI-compatible provider (OpenAI, Ollama, vLLM, llama.cpp…): it reads each question with the passages your
          knowledge base offers and answers citing them, and notices contact details, follow-up wishes and the need
          for a person. Every answer is checked (it must cite what it was given, with no prices or times the knowledge
          lacks); if the provider fails, is slow or runs over the daily token limit, the built-in engine answers.
        </p>
        <label className="checkbox"><input type="checkbox" {...register('llmEnabled')} /> Use an LLM provider</label>
        {llmEnabled ? (
          <div className="grid-2">
            <Field id="llmBaseUrl" label="Base URL" hint="e.g. https://api.openai.com/v1" error={errors.llm?.baseUrl?.message}>
              <input id="llmBaseUrl" {...register('llm.baseUrl', { required: 'Enter the provider URL.', pattern: { value: /^https?:\/\//, message: 'Start with https:// or http://' } })} />
            </Field>
            <Field id="llmModel" label="Model" error={errors.llm?.model?.message}>
              <input id="llmModel" {...register('llm.model', { required: 'Enter a model name.' })} />
            </Field>
            <Field id="llmKey" label="API key" hint={chatbot.settings.llm?.apiKeySet ? 'A key is saved. Leave blank to keep it.' : 'Stored encrypted; never shown again.'} error={errors.llm?.apiKey?.message}>
              <input id="llmKey" type="password" autoComplete="off" {...register('llm.apiKey')} />
            </Field>
            <Field id="llmTimeout" label="Timeout (ms)" error={errors.llm?.timeoutMs?.message}>
              <input id="llmTimeout" type="number" min={500} max={60000} {...register('llm.timeoutMs', { valueAsNumber: true, min: { value: 500, message: '500 to 60,000.' }, max: { value: 60000, message: '500 to 60,000.' } })} />
            </Field>
            <Field id="llmMode" label="What the model does" error={errors.llm?.mode?.message}>
              <select id="llmMode" {...register('llm.mode')}>
                <option value="understand">Reads each question and answers from the knowledge (recommended)</option>
                <option value="phrase">Only rewords the built-in answers</option>
              </select>
            </Field>
            <Field id="llmDailyTokens" label="Daily token limit" hint="Prompt and answer tokens per day, as the provider counts them; then the built-in engine answers alone." error={errors.llm?.dailyTokenLimit?.message}>
              <input id="llmDailyTokens" type="number" min={1000} max={100000000} step={1000} {...register('llm.dailyTokenLimit', { valueAsNumber: true, min: { value: 1000, message: '1,000 to 100,000,000.' }, max: { value: 100000000, message: '1,000 to 100,000,000.' } })} />
            </Field>
            <Field id="llmEmbeddings" label="Embeddings model (optional)" hint="On the same provider, e.g. text-embedding-3-small or nomic-embed-text: your knowledge is embedded in the background and searched by meaning too." error={errors.llm?.embeddingsModel?.message}>
              <input id="llmEmbeddings" {...register('llm.embeddingsModel', { maxLength: { value: 200, message: 'At most 200 characters.' } })} />
            </Field>
            <Field id="description" label="About the business" hint="A few sentences on what you do and for whom; the model reads them with your knowledge." error={errors.description?.message}>
              <textarea id="description" rows={3} {...register('description', { maxLength: { value: 1000, message: 'At most 1,000 characters.' } })} />
            </Field>
            {chatbot.settings.llm?.apiKeySet ? <label className="checkbox"><input type="checkbox" {...register('llm.clearApiKey')} /> Remove the saved key</label> : null}
          </div>
        ) : null}
      </section>

      <div className="sticky-actions">
        <ErrorNotice error={save.error} title="Not saved." />
        {save.isSuccess && !isDirty ? <Notice kind="success">Saved.</Notice> : null}
        <button type="submit" className="button button-primary" disabled={save.isPending}>{save.isPending ? 'Saving…' : 'Save settings'}</button>
      </div>

      <section className="card danger-zone">
        <h2>Delete this chatbot</h2>
        <p className="muted small">Removes its knowledge base, conversations and leads. This cannot be undone.</p>
        <ErrorNotice error={remove.error} />
        <button type="button" className="button button-danger" disabled={remove.isPending}
          onClick={() => { if (window.confirm(`Delete “${chatbot.name}” and everything it collected?`)) remove.mutate(); }}>
          Delete chatbot
        </button>
      </section>
    </form>
  );
}

/** "Tuesday 14:05" in a time zone, so the owner can check they picked the right one. */
function describeNow(timezone: string): string {
  try {
    return new Intl.DateTimeFormat(undefined, { timeZone: timezone, weekday: 'long', hour: '2-digit', minute: '2-digit' }).format(new Date());
  } catch {
    return 'unknown time zone';
  }
}
