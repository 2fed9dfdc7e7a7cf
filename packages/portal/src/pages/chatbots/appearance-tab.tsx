import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { api, fieldErrorsFor } from '../../api/client';
import type { Chatbot, ChatbotSettings } from '../../api/types';
import { ErrorNotice, Field, Loading, Notice, describedBy } from '../../components/ui';
import { useCurrentChatbot } from './chatbot-layout';

type Appearance = ChatbotSettings['appearance'];
interface AppearanceValues { title: string; color: string; position: Appearance['position']; avatarUrl: string }

/** Whether the server serves the widget script yet (it is built by its own package). */
export function useWidgetAvailable() {
  return useQuery({
    queryKey: ['widget-script'],
    queryFn: async () => {
      const response = await fetch('/widget.js', { method: 'HEAD', credentials: 'omit' });
      return response.ok && (response.headers.get('content-type') ?? '').includes('javascript');
    },
    staleTime: 5 * 60_000,
  });
}

export function AppearanceTab() {
  const chatbot = useCurrentChatbot();
  const queryClient = useQueryClient();
  const widget = useWidgetAvailable();
  const current = chatbot.settings.appearance;
  const { register, handleSubmit, watch, setError, formState: { errors, isDirty } } = useForm<AppearanceValues>({
    values: { title: current.title, color: current.color, position: current.position, avatarUrl: current.avatarUrl ?? '' },
  });
  const [previewVersion, setPreviewVersion] = useState(0);
  const save = useMutation({
    mutationFn: (values: AppearanceValues) => api.patch<Chatbot>(`/api/portal/chatbots/${chatbot.id}`, {
      settings: { appearance: { title: values.title.trim(), color: values.color, position: values.position, avatarUrl: values.avatarUrl.trim() || null } },
    }),
    onSuccess: (updated) => {
      queryClient.setQueryData(['chatbots', chatbot.id], updated);
      // updatedAt has one-second precision: two saves within a second must still reload the preview.
      setPreviewVersion((version) => version + 1);
    },
    onError: (error) => {
      for (const [field, message] of Object.entries(fieldErrorsFor(error, 'body.settings.appearance.'))) {
        if (['title', 'color', 'position', 'avatarUrl'].includes(field)) setError(field as keyof AppearanceValues, { message });
      }
    },
  });
  const color = watch('color');
  const title = watch('title');
  const position = watch('position');

  return (
    <div className="split">
      <form className="card" onSubmit={handleSubmit((values) => save.mutate(values))} noValidate>
        <h2>Look and feel</h2>
        <Field id="title" label="Window title" error={errors.title?.message}>
          <input id="title" {...describedBy('title', { error: errors.title?.message })} {...register('title', { required: 'Enter a title.', maxLength: { value: 60, message: 'At most 60 characters.' } })} />
        </Field>
        <Field id="color" label="Colour" error={errors.color?.message}>
          <div className="color-input">
            <input id="color" type="color" {...register('color', { pattern: { value: /^#[0-9a-fA-F]{6}$/, message: 'Pick a colour.' } })} />
            <code>{color}</code>
          </div>
        </Field>
        <fieldset>
          <legend>Position on the page</legend>
          <label className="checkbox inline"><input type="radio" value="bottom-right" {...register('position')} /> Bottom right</label>
          <label className="checkbox inline"><input type="radio" value="bottom-left" {...register('position')} /> Bottom left</label>
        </fieldset>
        <Field id="avatarUrl" label="Avatar image URL (optional)" hint="An https:// image, shown next to the bot's messages." error={errors.avatarUrl?.message}>
          <input id="avatarUrl" {...describedBy('avatarUrl', { hint: true, error: errors.avatarUrl?.message })}
            {...register('avatarUrl', { pattern: { value: /^(https:\/\/\S+)?$/, message: 'Use an https:// address.' } })} />
        </Field>
        <div className="launcher-sample" aria-hidden="true">
          <span className="launcher-dot" style={{ background: color }} />
          <span>{title || 'Chat with us'} · {position === 'bottom-left' ? 'bottom left' : 'bottom right'}</span>
        </div>
        <ErrorNotice error={save.error} title="Not saved." />
        {save.isSuccess && !isDirty ? <Notice kind="success">Saved. The preview shows the new look.</Notice> : null}
        <button type="submit" className="button button-primary" disabled={save.isPending}>{save.isPending ? 'Saving…' : 'Save appearance'}</button>
      </form>

      <section className="card preview-card">
        <h2>Live preview</h2>
        {widget.isPending ? <Loading /> : widget.data ? (
          <>
            <p className="muted small">The real widget with your saved settings. Messages you send here are real conversations.</p>
            <iframe
              key={`${chatbot.updatedAt}-${previewVersion}`}
              className="widget-preview"
              title="Widget preview"
              src={`/widget-preview.html?chatbotId=${encodeURIComponent(chatbot.id)}&v=${encodeURIComponent(chatbot.updatedAt)}-${previewVersion}`}
            />
          </>
        ) : (
          <Notice kind="info">
            The widget script (<code>/widget.js</code>) is not served by this server yet, so there is no live preview. Your
            settings are saved and will apply as soon as the widget is installed; the Install tab has the snippet.
          </Notice>
        )}
      </section>
    </div>
  );
}
