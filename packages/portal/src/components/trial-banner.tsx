import { Link } from 'react-router';
import type { Customer } from '../api/types';
import { formatDate, plural } from '../lib/format';

/** Trial days left, or why the chatbots have stopped answering. */
export function TrialBanner({ customer }: { customer: Customer }) {
  if (customer.status === 'cancelled') {
    return (
      <div className="banner banner-bad" role="status">
        Your account is cancelled: your chatbots no longer answer visitors and the portal is read-only (you can still view and export your data). Your data is kept if you come back.
        {' '}<Link to="/settings/plan">How to continue</Link>
      </div>
    );
  }
  if (customer.status !== 'trial') return null;
  if (!customer.isActive) {
    return (
      <div className="banner banner-bad" role="status">
        Your free trial ended on {formatDate(customer.trialEndsAt)}. Your chatbots no longer answer visitors and the portal is read-only (you can still view and export your data); everything you set up is kept.
        {' '}<Link to="/settings/plan">How to continue</Link>
      </div>
    );
  }
  const days = customer.trialDaysLeft ?? 0;
  return (
    <div className={`banner ${days <= 2 ? 'banner-warn' : 'banner-info'}`} role="status">
      Free trial: {days === 0 ? 'ends today' : `${plural(days, 'day')} left`} (until {formatDate(customer.trialEndsAt)}). No card needed.
      {' '}<Link to="/settings/plan">What happens after the trial</Link>
    </div>
  );
}
