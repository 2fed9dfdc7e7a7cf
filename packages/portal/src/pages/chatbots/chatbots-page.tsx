import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, fieldErrorsFor } from '../../api/client';
import { useIdempotencyKeys } from '../../lib/idempotency';
import { useChatbots } from '../../api/queries';
import type { Chatbot } from '../../api/types';
import { EmptyState, ErrorNotice, Field, Loading, Notice, PageHeader, describedBy } from '../../components/ui';
import { formatDate } from '../../lib/format';

export function ChatbotsPage() {
  const chatbots = useChatbots();
  const [params] = useSearchParams();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const { register, handleSubmit, setError, reset, formState: { errors } } = useForm<{ name: string }>({ defaultValues: { name: '' } });
  const createKeys = useIdempotencyKeys();
  const create = useMutation({
    mutationFn: (name: string) => api.post<Chatbot>('/api/portal/chatbots', { name }, { idempotencyKey: createKeys.keyFor({ name }) }),
    onSuccess: async (bot) => {
      createKeys.settle();
      reset();
      await queryClient.invalidateQueries({ queryKey: ['chatbots'] });
      void navigate(`/chatbots/${bot.id}/knowledge?new=1`);
    },
    onError: (error) => {
      const message = fieldErrorsFor(error).name;
      if (message) setError('name', { message });
    },
  });

  return (
    <>
      <PageHeader title="Chatbots" description="Each chatbot answers on one website from its own knowledge base." />
      {params.get('welcome') ? (
        <Notice kind="success">
          Welcome! Three steps to a working chat: create a chatbot, add a few questions and answers, then paste the install snippet on your site.
        </Notice>
      ) : null}
      <section className="card">
        <h2>New chatbot</h2>
        <form className="inline-form" onSubmit={handleSubmit((values) => create.mutate(values.name.trim()))} noValidate>
          <Field id="bot-name" label="Name" hint="Visitors see it in the chat window, e.g. “Acme Plumbing”." error={errors.name?.message}>
            <input id="bot-name" {...describedBy('bot-name', { hint: true, error: errors.name?.message })}
              {...register('name', { required: 'Give the chatbot a name.', maxLength: { value: 120, message: 'At most 120 characters.' } })} />
          </Field>
          <button type="submit" className="button button-primary" disabled={create.isPending}>{create.isPending ? 'Creating…' : 'Create chatbot'}</button>
        </form>
        <ErrorNotice error={create.error} />
      </section>

      {chatbots.isPending ? <Loading /> : chatbots.isError ? <ErrorNotice error={chatbots.error} /> : chatbots.data.length === 0 ? (
        <EmptyState title="No chatbots yet">
          <p>Create your first chatbot above. It starts with sensible settings: lead capture for quotes and bookings, and a hand-off to a human when a visitor asks for one.</p>
        </EmptyState>
      ) : (
        <ul className="card-list">
          {chatbots.data.map((bot) => (
            <li key={bot.id} className="card card-row">
              <div>
                <h2 className="card-title"><Link to={`/chatbots/${bot.id}`}>{bot.name}</Link></h2>
                <p className="muted small">
                  <code>{bot.id}</code> · created {formatDate(bot.createdAt)} · greeting “{bot.settings.greeting}”
                </p>
              </div>
              <div className="row-actions">
                <Link className="button button-small" to={`/chatbots/${bot.id}/knowledge`}>Knowledge</Link>
                <Link className="button button-small" to={`/chatbots/${bot.id}/install`}>Install</Link>
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
