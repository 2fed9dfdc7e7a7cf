import { useState, type ReactNode } from 'react';
import { describeError } from '../api/client';

/** A page's title row with optional actions on the right. */
export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {description ? <p className="muted">{description}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return <p className="loading" role="status" aria-live="polite">{label}</p>;
}

/** An API problem (or any error) in plain words. */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <div className="notice notice-error" role="alert">
      {title ? <strong>{title} </strong> : null}
      {describeError(error)}
    </div>
  );
}

export function Notice({ kind = 'info', children }: { kind?: 'info' | 'success' | 'warning' | 'error'; children: ReactNode }) {
  return <div className={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>{children}</div>;
}

/** What a new customer should do next when a list is empty. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

/** Copies text to the clipboard and says so. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState<'idle' | 'done' | 'failed'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('done');
    } catch {
      setCopied('failed');
    }
    window.setTimeout(() => setCopied('idle'), 2_000);
  };
  return (
    <button type="button" className="button button-small" onClick={copy} aria-live="polite">
      {copied === 'done' ? 'Copied' : copied === 'failed' ? 'Select and copy' : label}
    </button>
  );
}

const BADGE_KIND: Record<string, string> = {
  succeeded: 'good', resolved: 'good', active: 'good', ok: 'good', enabled: 'good', up: 'good',
  pending: 'neutral', open: 'warn', retrying: 'warn', trial: 'neutral', ended: 'neutral', dismissed: 'neutral',
  failed: 'bad', failing: 'bad', disabled: 'bad', cancelled: 'bad', down: 'bad', escalated: 'bad',
};

export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return <span className={`badge badge-${BADGE_KIND[status] ?? 'neutral'}`}>{label ?? status}</span>;
}

/** A labelled form control with its error message underneath (linked for screen readers). */
export function Field({ id, label, hint, error, children }: { id: string; label: ReactNode; hint?: ReactNode; error?: string | undefined; children: ReactNode }) {
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint ? <p className="hint" id={`${id}-hint`}>{hint}</p> : null}
      {error ? <p className="field-error" id={`${id}-error`} role="alert">{error}</p> : null}
    </div>
  );
}

/** aria attributes tying an input to its Field's hint and error. */
export function describedBy(id: string, opts: { hint?: boolean; error?: string | undefined }) {
  const ids = [opts.hint ? `${id}-hint` : null, opts.error ? `${id}-error` : null].filter(Boolean).join(' ');
  return { 'aria-describedby': ids || undefined, 'aria-invalid': opts.error ? true : undefined } as const;
}

/** A "Load more" button for cursor-paged lists. */
export function LoadMore({ hasMore, loading, onLoad }: { hasMore: boolean; loading: boolean; onLoad: () => void }) {
  if (!hasMore) return null;
  return (
    <div className="load-more">
      <button type="button" className="button" onClick={onLoad} disabled={loading}>{loading ? 'Loading…' : 'Load more'}</button>
    </div>
  );
}
