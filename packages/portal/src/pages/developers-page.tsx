import { ENVELOPE_KEYS, EVENT_TYPES } from '@fc/contracts/events';
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import type { PreviewResult } from '../api/types';
import { ErrorNotice, Loading, PageHeader } from '../components/ui';
import { SOURCE_PATHS } from '../lib/mapping-rows';
import { EVENT_DESCRIPTIONS } from './settings/webhook-form';

/**
 * "Full schemas and configuration live inside your portal": the interactive API reference (Swagger UI over the
 * OpenAPI document the server generates from the schemas it validates with, so it cannot drift) and the
 * webhook event catalogue with payloads rendered by the server's own renderer.
 */

// Swagger UI is large: it is its own chunk, fetched when this page shows the reference.
const ApiReference = lazy(() => import('./api-reference').then((m) => ({ default: m.ApiReference })));
const OPENAPI_URL = '/api/openapi.json';

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
      <PageHeader title="Developers" description="Everything a developer needs to integrate: the API reference, webhook events and how deliveries are signed." />
      <section className="card">
        <h2>API reference</h2>
        <p>
          Every endpoint: the <strong>public</strong> chat API the widget calls, this <strong>portal</strong>’s API under <code>/api/portal/*</code> and
          {' '}the <strong>Zapier</strong> REST hooks. Scripts authenticate with <code>Authorization: Bearer &lt;API key&gt;</code>
          {' '}(<Link to="/settings/account">create a key</Link>; a read-only key may only make <code>GET</code> requests); lists answer
          {' '}<code>{'{items, nextCursor}'}</code> and take <code>?limit=&amp;cursor=</code>; errors are <code>application/problem+json</code>.
          {' '}“Try it out” runs as you, on your account.
        </p>
        <p className="muted small">
          The OpenAPI 3.1 document is at <a href={OPENAPI_URL} target="_blank" rel="noreferrer"><code>{OPENAPI_URL}</code></a>: import it into Postman, Insomnia or a client generator.
        </p>
        <Suspense fallback={<Loading label="Loading the API reference…" />}>
          <ApiReference />
        </Suspense>
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
    </>
  );
}
