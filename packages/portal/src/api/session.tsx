import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { ApiError, api, onUnauthorized, setCsrfToken } from './client';
import type { Session } from './types';

export const SESSION_KEY = ['session'] as const;

/** Loads the current session; null when nobody is logged in. */
async function fetchSession(): Promise<Session | null> {
  try {
    const session = await api.get<Session>('/api/portal/me', { quietUnauthorized: true });
    setCsrfToken(session.csrfToken);
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      setCsrfToken(null);
      return null;
    }
    throw error;
  }
}

/** The logged-in user and customer (undefined while loading, null when logged out). */
export function useSession() {
  return useQuery({ queryKey: SESSION_KEY, queryFn: fetchSession, staleTime: 60_000, retry: false });
}

/** Stores a session that signup or login returned, so the app needs no extra round trip. */
export function useAcceptSession(): (session: Session) => void {
  const queryClient = useQueryClient();
  return (session) => {
    setCsrfToken(session.csrfToken);
    queryClient.setQueryData(SESSION_KEY, session);
  };
}

/** Sends the user to the login page (remembering where they were) whenever the API says the session ended. */
export function useRedirectOnUnauthorized(): void {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  useEffect(() => onUnauthorized(() => {
    setCsrfToken(null);
    queryClient.setQueryData(SESSION_KEY, null);
    if (location.pathname !== '/login') {
      void navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    }
  }), [queryClient, navigate, location]);
}

/** Logs out and forgets every cached answer of the old session. */
export function useLogout(): () => Promise<void> {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return async () => {
    try {
      await api.post('/api/portal/logout');
    } finally {
      setCsrfToken(null);
      queryClient.clear();
      queryClient.setQueryData(SESSION_KEY, null);
      void navigate('/login', { replace: true });
    }
  };
}
