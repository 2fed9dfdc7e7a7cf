import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api, fieldErrorsFor } from '../../api/client';
import type { CrawlJob, CrawlPage, Page } from '../../api/types';
import { ErrorNotice, Field, Notice, StatusBadge, describedBy } from '../../components/ui';
import { plural } from '../../lib/format';

const POLL_MS = 1_000;
const PAGE_LIST_LIMIT = 200;
const STATUS_LABEL: Record<string, string> = { queued: 'Waiting to start', running: 'Importing', done: 'Done', failed: 'Failed', cancelled: 'Cancelled' };
const PAGE_STATUS_LABEL: Record<string, string> = { queued: 'waiting', fetched: 'imported', unchanged: 'unchanged', skipped: 'skipped', failed: 'failed' };

export function isCrawlActive(job: CrawlJob | undefined): boolean {
  return job?.status === 'queued' || job?.status === 'running';
}

/** The chatbot's latest import or re-sync, polled while it runs (shared by this panel and the sources list). */
export function useLatestCrawl(chatbotId: string) {
  return useQuery({
    queryKey: ['crawls', chatbotId, 'latest'],
    queryFn: async () => (await api.get<Page<CrawlJob>>(`/api/portal/chatbots/${chatbotId}/crawls?limit=1`)).items[0] ?? null,
    refetchInterval: (query) => (isCrawlActive(query.state.data ?? undefined) ? POLL_MS : false),
  });
}

function CrawlPages({ chatbotId, job }: { chatbotId: string; job: CrawlJob }) {
  const pages = useQuery({
    // Keyed on the counts too: the list is read again whenever the import moves on (and once when it ends).
    queryKey: ['crawls', chatbotId, job.id, 'pages', job.status, job.pages.found, job.pages.queued],
    queryFn: () => api.get<Page<CrawlPage>>(`/api/portal/chatbots/${chatbotId}/crawls/${job.id}/pages?limit=${PAGE_LIST_LIMIT}`),
    placeholderData: (previous) => previous,
  });
  if (!pages.data || pages.data.items.length === 0) return null;
  return (
    <details className="crawl-pages">
      <summary>Every page ({pages.data.items.length}{pages.data.nextCursor ? '+' : ''})</summary>
      <ul>
        {pages.data.items.map((page) => (
          <li key={page.url} className={`crawl-page crawl-page-${page.status}`}>
            <StatusBadge status={page.status === 'fetched' ? 'active' : page.status} label={PAGE_STATUS_LABEL[page.status] ?? page.status} />
            <span className="crawl-page-url">{page.url}</span>
            {page.reason ? <span className="muted small"> — {page.reason}</span> : null}
            {page.status === 'fetched' ? <span className="muted small"> — {plural(page.passages, 'passage')}</span> : null}
          </li>
        ))}
      </ul>
    </details>
  );
}

/** Live progress of one import: counts, what stopped it, and Cancel while it runs. */
export function CrawlProgress({ chatbotId, job }: { chatbotId: string; job: CrawlJob }) {
  const queryClient = useQueryClient();
  const cancel = useMutation({
    mutationFn: () => api.post<CrawlJob>(`/api/portal/chatbots/${chatbotId}/crawls/${job.id}/cancel`),
    onSuccess: (updated) => queryClient.setQueryData(['crawls', chatbotId, 'latest'], updated),
  });
  const active = isCrawlActive(job);
  const { pages } = job;
  const finished = pages.fetched + pages.unchanged + pages.skipped + pages.failed;
  const wasActive = useRef(active);
  useEffect(() => {
    // When an import ends, the knowledge list and the sources show what it brought.
    if (wasActive.current && !active) {
      void queryClient.invalidateQueries({ queryKey: [`/api/portal/chatbots/${chatbotId}/knowledge`] });
      void queryClient.invalidateQueries({ queryKey: [`/api/portal/chatbots/${chatbotId}/sources`] });
    }
    wasActive.current = active;
  }, [active, chatbotId, queryClient]);
  return (
    <section className="crawl-progress" aria-live="polite" data-status={job.status}>
      <div className="crawl-head">
        <StatusBadge status={job.status === 'done' ? 'active' : job.status === 'running' ? 'retrying' : job.status} label={STATUS_LABEL[job.status] ?? job.status} />
        <strong className="crawl-url">{job.kind === 'resync' ? 'Re-sync of your website pages' : job.startUrl}</strong>
      </div>
      <progress max={Math.max(pages.found, 1)} value={active ? finished : Math.max(pages.found, 1)} aria-label="Pages done" />
      <p className="crawl-counts">
        <span data-count="found">{plural(pages.found, 'page')} found</span> · <span data-count="fetched">{pages.fetched} imported</span>
        {pages.unchanged > 0 ? <> · <span data-count="unchanged">{pages.unchanged} unchanged</span></> : null}
        {' '}· <span data-count="skipped">{pages.skipped} skipped</span> · <span data-count="failed">{pages.failed} failed</span>
        {job.passages > 0 ? <> · {plural(job.passages, 'passage')}</> : null}
      </p>
      {job.error ? <Notice kind="error">{job.error}</Notice> : null}
      {job.stopReason && job.status !== 'cancelled' ? <Notice kind="warning">Stopped early: {job.stopReason}.</Notice> : null}
      {active ? (
        <button type="button" className="button button-danger" disabled={cancel.isPending} onClick={() => cancel.mutate()}>
          {cancel.isPending ? 'Cancelling…' : 'Cancel import'}
        </button>
      ) : null}
      <ErrorNotice error={cancel.error} title="Not cancelled." />
      <CrawlPages chatbotId={chatbotId} job={job} />
    </section>
  );
}

/** Knowledge → Import from website: a start page or a sitemap address; the crawl runs on the server. */
export function WebsiteImportPanel({ chatbotId }: { chatbotId: string }) {
  const queryClient = useQueryClient();
  const latest = useLatestCrawl(chatbotId);
  const [url, setUrl] = useState('');
  const [maxPages, setMaxPages] = useState('200');
  const start = useMutation({
    mutationFn: () => api.post<CrawlJob>(`/api/portal/chatbots/${chatbotId}/crawls`, { url: url.trim(), maxPages: Number(maxPages) }),
    onSuccess: (job) => queryClient.setQueryData(['crawls', chatbotId, 'latest'], job),
  });
  const errors = fieldErrorsFor(start.error);
  const job = latest.data ?? undefined;
  return (
    <div className="website-import">
      <p className="muted small">
        Your website&rsquo;s address (or its sitemap, e.g. <code>https://example.com/sitemap.xml</code>). We read the pages of that site only,
        follow its robots.txt, and turn each page into passages the bot answers from, with a link back to the page.
      </p>
      <form noValidate onSubmit={(event) => { event.preventDefault(); start.mutate(); }}>
        <Field id="crawl-url" label="Website address" error={errors.url}>
          <input id="crawl-url" type="url" inputMode="url" placeholder="https://www.example.com" value={url} onChange={(e) => setUrl(e.target.value)} {...describedBy('crawl-url', { error: errors.url })} />
        </Field>
        <Field id="crawl-max-pages" label="Pages at most" hint="Up to 1,000 per import." error={errors.maxPages}>
          <input id="crawl-max-pages" type="number" min={1} max={1000} value={maxPages} onChange={(e) => setMaxPages(e.target.value)} {...describedBy('crawl-max-pages', { hint: true, error: errors.maxPages })} />
        </Field>
        <ErrorNotice error={errors.url || errors.maxPages ? null : start.error} title="The import did not start." />
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={start.isPending || url.trim() === '' || isCrawlActive(job)}>
            {start.isPending ? 'Starting…' : 'Import website'}
          </button>
        </div>
      </form>
      {job ? <CrawlProgress chatbotId={chatbotId} job={job} /> : null}
    </div>
  );
}
