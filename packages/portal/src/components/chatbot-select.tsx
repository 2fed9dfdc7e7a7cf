import { useChatbots } from '../api/queries';

/** A chatbot filter for lists: "All chatbots" or one of them. */
export function ChatbotSelect({ id, value, onChange, allLabel = 'All chatbots' }: { id: string; value: string; onChange: (value: string) => void; allLabel?: string }) {
  const { data: chatbots } = useChatbots();
  return (
    <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
      <option value="">{allLabel}</option>
      {(chatbots ?? []).map((bot) => <option key={bot.id} value={bot.id}>{bot.name}</option>)}
    </select>
  );
}
