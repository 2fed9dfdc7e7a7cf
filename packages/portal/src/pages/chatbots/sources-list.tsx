import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, request } from '../../api/client';
import { usePagedList } from '../../api/queries';
import type { CrawlJob, KnowledgeSource } from '../../api/types';
import { ErrorNotice, LoadMore, StatusBadge } from '../../components/ui';
import { formatRelative, plural } from '../../lib/format';
import { isCrawlActive, useLatestCrawl } from './website-import-panel';

const SOURCE_STATUS_LABEL: Record<string, string> = { active: 'in use', excluded: 'excluded', failed: 'failed' };

function SourceRow({ chatbotId, source }: { chatbotId: string; source: KnowledgeSource }) {
  const queryClient = useQueryClient();
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: [`/api/portal/chatbots/${chatbotId}/sources`] });
    await queryClient.invalidateQueries({ queryKey: [`/api/portal/chatbots/${chatbotId}/knowledge`] });
  };
  const toggle = useMutation({
    mutationFn: () => api.patch<KnowledgeSource>(`/api/portal/chatbots/${chatbotId}/sources/${source.id}`, { excluded: source.status !== 'excluded' }),
    onSuccess: refresh,
  });
  const remove = useMutation({ mutationFn: () => api.delete(`/api/portal/chatbots/${chatbotId}/sources/${source.id}`), onSuccess: refresh });
  return (
    <li className="entry source" data-source-status={source.status}>
      <div className="entry-head">
        <StatusBadge status={source.status} label={SOURCE_STATUS_LABEL[source.status] ?? source.status} />
        <strong className="entry-title">{source.url ? <a href={source.url} target="_blank" rel="noopener noreferrer">{source.title}</a> : source.title}</strong>
      </div>
      <p className="muted small source-meta">
        {source.url ? <span className="source-url">{source.url}</span> : 'uploaded file'} · {plural(source.passages, 'passage')}
        {source.lastSyncedAt ? <> · synced {formatRelative(source.lastSyncedAt)}</> : null}
        {source.lastError ? <> · <span className="text-bad">{source.lastError}</span></> : null}
      </p>
      <div className="entry-foot">
        <span />
        <span className="row-actions">
          <button type="button" className="button button-small" disabled={toggle.isPending} onClick={() => toggle.mutate()}>
            {source.status === 'excluded' ? 'Include again' : 'Exclude'}
          </button>
          <button type="button" className="button button-small button-danger" disabled={remove.isPending}
            onClick={() => { if (window.confirm(`Delete ${source.title} and its passages?`)) remove.mutate(); }}>Delete</button>
        </span>
      </div>
      <ErrorNotice error={toggle.error ?? remove.error} />
    </li>
  );
}

interface Schedule { every: 'off' | 'daily' | 'weekly'; nextRunAt: string | null }

/** "Re-sync automatically": off, daily or weekly. */
function ResyncSchedule({ chatbotId }: { chatbotId: string }) {
  const queryClient = useQueryClient();
  const key = ['sources-schedule', chatbotId];
  const schedule = useQuery({ queryKey: key, queryFn: () => api.get<Schedule>(`/api/portal/chatbots/${chatbotId}/sources/schedule`) });
  const save = useMutation({
    mutationFn: (every: Schedule['every']) => request<Schedule>('PUT', `/api/portal/chatbots/${chatbotId}/sources/schedule`, { every }),
    onSuccess: (updated) => queryClient.setQueryData(key, updated),
  });
  return (
    <div className="resync-schedule">
      <label htmlFor="resync-every">Re-sync automatically</label>{' '}
      <select id="resync-every" value={schedule.data?.every ?? 'off'} disabled={!schedule.data || save.isPending} onChange={(e) => save.mutate(e.target.value as Schedule['every'])}>
        <option value="off">Off</option>
        <option value="daily">Daily</option>
        <option value="weekly">Weekly</option>
      </select>
      {schedule.data?.nextRunAt ? <span className="muted small"> next {formatRelative(schedule.data.nextRunAt)}</span> : null}
      <ErrorNotice error={save.error} title="Not saved." />
    </div>
  );
}

/** Knowledge → Sources: every imported web page and uploaded file, with re-sync, exclude and delete. */
export function SourcesList({ chatbotId }: { chatbotId: string }) {
  const queryClient = useQueryClient();
  const sources = usePagedList<KnowledgeSource>(`/api/portal/chatbots/${chatbotId}/sources`, {});
  const latest = useLatestCrawl(chatbotId);
  const resync = useMutation({
    mutationFn: () => api.post<CrawlJob>(`/api/portal/chatbots/${chatbotId}/sources/resync`),
    onSuccess: (job) => queryClient.setQueryData(['crawls', chatbotId, 'latest'], job),
  });
  const items = sources.data?.items ?? [];
  if (items.length === 0) return null;
  return (
    <section className="card" aria-labelledby="sources-heading">
      <div className="list-toolbar">
        <h2 id="sources-heading">Sources</h2>
        <button type="button" className="button" disabled={resync.isPending || isCrawlActive(latest.data ?? undefined)} onClick={() => resync.mutate()}>
          {isCrawlActive(latest.data ?? undefined) ? 'Import running…' : 'Re-sync website'}
        </button>
      </div>
      <p className="muted small">Web pages you imported and files you uploaded. Re-sync fetches each page again and updates only those that changed. Excluding one takes its passages out of answers at once.</p>
      {items.some((source) => source.kind === 'page') ? <ResyncSchedule chatbotId={chatbotId} /> : null}
      <ErrorNotice error={resync.error} title="The re-sync did not start." />
      <ul className="entries sources">
        {items.map((source) => <SourceRow key={source.id} chatbotId={chatbotId} source={source} />)}
      </ul>
      <LoadMore hasMore={sources.hasNextPage} loading={sources.isFetchingNextPage} onLoad={() => void sources.fetchNextPage()} />
    </section>
  );
}
