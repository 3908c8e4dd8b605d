import type { ReactNode } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { useSession } from '../../../lib/session.tsx';

/** Who is logged in, with the way out; sits in the page header. */
export function SessionBar() {
  const { session, logOut, recheck } = useSession();
  let status: ReactNode;
  switch (session.status) {
    case 'anonymous':
      status = 'Not logged in';
      break;
    case 'checking':
      status = `Checking your login as user ${session.userId}…`;
      break;
    case 'authenticated':
      status = (
        <>
          Logged in as <strong>user {session.userId}</strong>
        </>
      );
      break;
    case 'unverified':
      status = `User ${session.userId}, not confirmed`;
      break;
  }
  return (
    <div className="session-bar">
      {/* One live region whose text changes, so every change is announced. */}
      <p role="status" className="session-status">
        {status}
      </p>
      {session.status === 'unverified' && (
        <button type="button" onClick={recheck}>
          Check my login again
        </button>
      )}
      {(session.status === 'authenticated' || session.status === 'unverified') && (
        <button type="button" className="secondary" onClick={logOut}>
          Log out
        </button>
      )}
      {session.status === 'unverified' && (
        <Alert>
          Could not confirm your login as user {session.userId}. {session.problem}
        </Alert>
      )}
    </div>
  );
}
