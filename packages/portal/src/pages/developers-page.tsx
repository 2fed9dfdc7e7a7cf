import {
  ENVELOPE_KEYS, EVENT_TYPES, HealthReply, Problem, RateReply, RateRequest, SatisfactionReply, SatisfactionRequest, SystemChatReply, SystemChatRequest, WidgetConfig,
} from '@fc/contracts';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../api/client';
import type { PreviewResult } from '../api/types';
import { ErrorNotice, Loading, PageHeader } from '../components/ui';
import { SOURCE_PATHS } from '../lib/mapping-rows';
import { EVENT_DESCRIPTIONS } from './settings/webhook-form';

/**
 * "Full schemas and configuration live inside your portal": the public endpoints with their JSON Schemas
 * (the TypeBox schemas in packages/contracts that the server validates with, so they cannot drift) and
 * the webhook event catalogue with payloads rendered by the server's own renderer.
 */

const PUBLIC_ENDPOINTS = [
  { method: 'POST', path: '/api/public/system-chat', what: 'The chat endpoint the widget calls; rate-limited per visitor. Accept: text/event-stream streams the reply.', request: SystemChatRequest, reply: SystemChatReply },
  { method: 'POST', path: '/api/public/conversations/:id/rate', what: 'Thumbs-up / thumbs-down on one bot message (needs the conversation token).', request: RateRequest, reply: RateReply },
  {
    method: 'POST', path: '/api/public/conversations/:id/satisfaction', request: SatisfactionRequest, reply: SatisfactionReply,
    what: 'After a person resolved the conversation: the visitor’s 1–5 rating of their help, once per resolution (409 not_resolved before, 409 already_rated for a different second rating). Sends conversation.rated.',
  },
  { method: 'GET', path: '/api/public/chatbots/:id/widget', what: 'The chatbot’s public look and greeting.', request: null, reply: WidgetConfig },
  { method: 'GET', path: '/api/health', what: 'Uptime probe used by the status page.', request: null, reply: HealthReply },
];

function Schema({ label, schema }: { label: string; schema: unknown }) {
  return (
    <details>
      <summary>{label}</summary>
      <pre className="code-block">{JSON.stringify(schema, null, 2)}</pre>
    </details>
  );
}

function EventExample({ eventType }: { eventType: string }) {
  const preview = useQuery({
    queryKey: ['/api/portal/webhooks/preview', 'default', eventType],
    queryFn: () => api.post<PreviewResult>('/api/portal/webhooks/preview', { eventType }),
    staleTime: 5 * 60_000,
  });
  if (preview.isPending) return <Loading />;
  if (preview.isError) return <ErrorNotice error={preview.error} />;
  return (
    <>
      <p className="muted small">
        Default fields: {Object.keys(preview.data.payload).filter((key) => !(ENVELOPE_KEYS as readonly string[]).includes(key)).map((key) => <code key={key}>{key}</code>).reduce<React.ReactNode[]>((all, node, i) => (i === 0 ? [node] : [...all, ', ', node]), [])}
        {' '}· example {preview.data.fromEventId ? 'from your latest real event' : 'from sample data'}
      </p>
      <pre className="code-block">{JSON.stringify(preview.data.payload, null, 2)}</pre>
    </>
  );
}

export function DevelopersPage() {
  return (
    <>
      <PageHeader title="Developers" description="Everything a developer needs to integrate: public endpoints, webhook events and how deliveries are signed." />
      <section className="card">
        <h2>Public endpoints</h2>
        <p className="muted small">Called from visitors’ browsers; no login. Errors are <code>application/problem+json</code>.</p>
        {PUBLIC_ENDPOINTS.map((endpoint) => (
          <div key={endpoint.path} className="endpoint">
            <h3><code>{endpoint.method} {endpoint.path}</code></h3>
            <p>{endpoint.what}</p>
            {endpoint.request ? <Schema label="Request body (JSON Schema)" schema={endpoint.request} /> : null}
            <Schema label="Response (JSON Schema)" schema={endpoint.reply} />
          </div>
        ))}
        <Schema label="Error body (problem+json)" schema={Problem} />
      </section>

      <section className="card">
        <h2>Webhook events</h2>
        <p>
          Every delivery is a POST with the headers <code>X-FC-Event</code>, <code>X-FC-Signature</code>, <code>X-FC-Delivery</code>
          {' '}and the Standard Webhooks <code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>.
          The envelope keys {ENVELOPE_KEYS.map((key, i) => <span key={key}>{i > 0 ? ', ' : ''}<code>{key}</code></span>)} are always present;
          every other key comes from the webhook’s field mapping. Deliveries are at-least-once: dedupe on <code>eventId</code>.
          {' '}<Link to="/settings/webhooks">Settings → Webhooks</Link> has signature-checking code for Node.js and Python.
        </p>
        {EVENT_TYPES.map((type) => (
          <details key={type} className="event-type">
            <summary><code>{type}</code> <span className="muted small">{type === 'webhook.test' ? 'Sent by “Send test”' : EVENT_DESCRIPTIONS[type] ?? ''}</span></summary>
            <EventExample eventType={type} />
          </details>
        ))}
      </section>

      <section className="card">
        <h2>Mapping source fields</h2>
        <p className="muted small">A mapped value is a field path, a template like <code>{'{{lead.name}} via {{chatbot.name}}'}</code>, or a constant.</p>
        <dl className="details">
          {Object.entries(SOURCE_PATHS).map(([object, fields]) => (
            <div key={object} className="contents">
              <dt><code>{object}</code></dt>
              <dd>{fields.map((field) => <code key={field}>{object}.{field} </code>)}</dd>
            </div>
          ))}
        </dl>
      </section>

      <section className="card">
        <h2>Portal API</h2>
        <p>
          Everything in this portal is a JSON API under <code>/api/portal/*</code>. Scripts authenticate with
          {' '}<code>Authorization: Bearer &lt;API key&gt;</code> (<Link to="/settings/account">create a key</Link>; a read-only key may only make <code>GET</code> requests, and keys
          are created and revoked in the portal only); lists answer
          {' '}<code>{'{items, nextCursor}'}</code> and take <code>?limit=&amp;cursor=</code>.
        </p>
      </section>
    </>
  );
}
