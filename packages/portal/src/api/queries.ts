import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api, toQuery } from './client';
import type { Chatbot, Mappings, Page, WebhookPreset } from './types';

const CHATBOT_PAGE_SIZE = 200;

/** Every chatbot of the account (an account has a handful; one page of 200 covers it). */
export function useChatbots() {
  return useQuery({
    queryKey: ['chatbots'],
    queryFn: () => api.get<Page<Chatbot>>(`/api/portal/chatbots?limit=${CHATBOT_PAGE_SIZE}`),
    select: (page) => page.items,
  });
}

export function useChatbot(id: string | undefined) {
  return useQuery({
    queryKey: ['chatbots', id],
    queryFn: () => api.get<Chatbot>(`/api/portal/chatbots/${encodeURIComponent(id ?? '')}`),
    enabled: Boolean(id),
  });
}

/** A cursor-paged list (`{items, nextCursor}`) with "load more", re-fetched when the filters change. */
export function usePagedList<T>(path: string, filters: Record<string, string | number | undefined>, pageSize = 50) {
  return useInfiniteQuery({
    queryKey: [path, filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) => api.get<Page<T>>(`${path}${toQuery({ ...filters, limit: pageSize, cursor: pageParam })}`, { signal }),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    select: (data) => ({ items: data.pages.flatMap((p) => p.items), pages: data.pages }),
  });
}

/** A name for a chatbot id (lists show names, not ids). */
export function useChatbotNames(): (id: string | null | undefined) => string {
  const { data } = useChatbots();
  return (id) => {
    if (!id) return 'All chatbots';
    return data?.find((bot) => bot.id === id)?.name ?? id;
  };
}

/** CRM presets and the default fields of every event (what an event sends when a webhook maps neither it nor "*"). */
export function useWebhookPresets() {
  return useQuery({
    queryKey: ['/api/portal/webhooks/presets'],
    queryFn: () => api.get<{ items: WebhookPreset[]; defaults: Mappings }>('/api/portal/webhooks/presets'),
    staleTime: Infinity,
  });
}
