import { lazy, Suspense } from 'react';
import { Navigate, type RouteObject } from 'react-router';
import { AppLayout } from './components/layout';
import { OwnerOnly, useRole } from './components/owner-only';
import { AcceptInvitePage } from './pages/auth/accept-invite-page';
import { ProfilePage } from './pages/team/profile-page';
import { TeamPage } from './pages/team/team-page';
import { Loading } from './components/ui';
import { LoginPage, SignupPage } from './pages/auth/auth-pages';
import { ForgotPasswordPage, ResetPasswordPage } from './pages/auth/password-pages';
import { AppearanceTab } from './pages/chatbots/appearance-tab';
import { ChatbotLayout } from './pages/chatbots/chatbot-layout';
import { ChatbotsPage } from './pages/chatbots/chatbots-page';
import { InstallTab } from './pages/chatbots/install-tab';
import { KnowledgeTab } from './pages/chatbots/knowledge-tab';
import { SettingsTab } from './pages/chatbots/settings-tab';
import { ConversationPage, ConversationsPage } from './pages/conversations-pages';
import { EscalationsPage, LeadsPage } from './pages/leads-pages';
import { InboxPage } from './pages/inbox/inbox-page';
import { NotFoundPage } from './pages/not-found-page';
import { AccountPage } from './pages/settings/account-page';
import { PlanPage } from './pages/settings/plan-page';
import { IntegrationsPage } from './pages/settings/integrations-page';
import { SheetsNewPage, SheetsPage } from './pages/settings/sheets-pages';
import { WebhookNewPage } from './pages/settings/webhook-new-page';
import { WebhookPage } from './pages/settings/webhook-page';
import { WebhooksPage } from './pages/settings/webhooks-page';
import { TrainingPage } from './pages/training-page';

// The dashboard carries the chart library: loaded on its own so the other pages start faster.
const DashboardPage = lazy(() => import('./pages/dashboard-page').then((m) => ({ default: m.DashboardPage })));
// The Developers page carries the JSON Schemas (TypeBox) of the public API.
const DevelopersPage = lazy(() => import('./pages/developers-page').then((m) => ({ default: m.DevelopersPage })));

/** The dashboard for owners; agents start in the inbox (the dashboard is for owners only). */
function HomePage() {
  if (useRole() === 'agent') return <Navigate to="/inbox" replace />;
  return <Suspense fallback={<Loading />}><DashboardPage /></Suspense>;
}

/** Every page of the portal; the server answers index.html for all of these paths. */
export const ROUTES: RouteObject[] = [
  { path: '/login', element: <LoginPage /> },
  { path: '/signup', element: <SignupPage /> },
  { path: '/forgot-password', element: <ForgotPasswordPage /> },
  { path: '/reset-password', element: <ResetPasswordPage /> },
  { path: '/accept-invite', element: <AcceptInvitePage /> },
  {
    element: <AppLayout />,
    children: [
      { index: true, element: <HomePage /> },
      { path: 'conversations', element: <ConversationsPage /> },
      { path: 'conversations/:conversationId', element: <ConversationPage /> },
      { path: 'leads', element: <LeadsPage /> },
      { path: 'escalations', element: <EscalationsPage /> },
      { path: 'inbox', element: <InboxPage /> },
      { path: 'settings/profile', element: <ProfilePage /> },
      {
        // Owners only (agents are told so; the server refuses their requests anyway: http/roles.ts).
        element: <OwnerOnly />,
        children: [
          { path: 'chatbots', element: <ChatbotsPage /> },
          {
            path: 'chatbots/:chatbotId',
            element: <ChatbotLayout />,
            children: [
              { index: true, element: <Navigate to="knowledge" replace /> },
              { path: 'knowledge', element: <KnowledgeTab /> },
              { path: 'settings', element: <SettingsTab /> },
              { path: 'appearance', element: <AppearanceTab /> },
              { path: 'install', element: <InstallTab /> },
            ],
          },
          { path: 'training', element: <TrainingPage /> },
          { path: 'settings', element: <Navigate to="/settings/webhooks" replace /> },
          { path: 'settings/webhooks', element: <WebhooksPage /> },
          { path: 'settings/webhooks/new', element: <WebhookNewPage /> },
          { path: 'settings/webhooks/:webhookId', element: <WebhookPage /> },
          { path: 'settings/integrations', element: <IntegrationsPage /> },
          { path: 'settings/integrations/sheets/new', element: <SheetsNewPage /> },
          { path: 'settings/integrations/sheets/:sheetId', element: <SheetsPage /> },
          { path: 'settings/team', element: <TeamPage /> },
          { path: 'settings/account', element: <AccountPage /> },
          { path: 'settings/plan', element: <PlanPage /> },
          { path: 'developers', element: <Suspense fallback={<Loading />}><DevelopersPage /></Suspense> },
        ],
      },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
