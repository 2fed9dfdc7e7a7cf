import { NavLink, Outlet, useOutletContext, useParams } from 'react-router';
import { useChatbot } from '../../api/queries';
import type { Chatbot } from '../../api/types';
import { ErrorNotice, Loading, PageHeader } from '../../components/ui';

const TABS = [
  { to: 'knowledge', label: 'Knowledge' },
  { to: 'settings', label: 'Settings' },
  { to: 'appearance', label: 'Appearance' },
  { to: 'install', label: 'Install' },
];

/** One chatbot's pages share its loaded record. */
export function useCurrentChatbot(): Chatbot {
  return useOutletContext<Chatbot>();
}

export function ChatbotLayout() {
  const { chatbotId } = useParams();
  const chatbot = useChatbot(chatbotId);
  if (chatbot.isPending) return <Loading />;
  if (chatbot.isError) return <ErrorNotice error={chatbot.error} />;
  return (
    <>
      <PageHeader title={chatbot.data.name} description={<code>{chatbot.data.id}</code>} />
      <nav className="tabs" aria-label="Chatbot sections">
        {TABS.map((tab) => <NavLink key={tab.to} to={tab.to} className="tab">{tab.label}</NavLink>)}
      </nav>
      <Outlet context={chatbot.data} />
    </>
  );
}
