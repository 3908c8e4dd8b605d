import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { ApiError, describeApiError, isAbortError } from './api/errors.ts';
import { parseUserId } from './user-id.ts';

/** Where the logged-in user id is kept between visits. */
export const SESSION_STORAGE_KEY = 'cloud-sound:user-id';

/**
 * Who is using the app. A stored id is re-checked with the API on load (`checking`); when the
 * API cannot be reached the id is kept but not trusted (`unverified`) rather than thrown away.
 */
export type Session =
  | { status: 'anonymous'; notice?: string }
  | { status: 'checking'; userId: number }
  | { status: 'authenticated'; userId: number }
  | { status: 'unverified'; userId: number; problem: string };

/** Asks the API whether `userId` is a registered user; rejects with an ApiError when not. */
export type VerifyUser = (userId: number, signal: AbortSignal) => Promise<unknown>;

interface SessionContextValue {
  session: Session;
  /** Starts a session for a user id that the API has just confirmed. */
  logIn: (userId: number) => void;
  logOut: () => void;
  /** Checks the kept user id with the API again (after it could not be reached). */
  recheck: () => void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function readStoredUserId(): number | null {
  try {
    return parseUserId(localStorage.getItem(SESSION_STORAGE_KEY) ?? '');
  } catch {
    return null; // Storage can be switched off; then nobody stays logged in.
  }
}

function storeUserId(userId: number | null): void {
  try {
    if (userId === null) localStorage.removeItem(SESSION_STORAGE_KEY);
    else localStorage.setItem(SESSION_STORAGE_KEY, String(userId));
  } catch {
    // Without storage the session lasts until the page is closed.
  }
}

function initialSession(): Session {
  const userId = readStoredUserId();
  return userId === null ? { status: 'anonymous' } : { status: 'checking', userId };
}

export function SessionProvider({
  verifyUser,
  children,
}: {
  verifyUser: VerifyUser;
  children: ReactNode;
}) {
  const [session, setSession] = useState<Session>(initialSession);
  const checkingUserId = session.status === 'checking' ? session.userId : null;

  // Re-check a kept id: a user can disappear (a reset user service) between visits.
  useEffect(() => {
    if (checkingUserId === null) return;
    const controller = new AbortController();
    verifyUser(checkingUserId, controller.signal).then(
      () => setSession({ status: 'authenticated', userId: checkingUserId }),
      (error: unknown) => {
        if (isAbortError(error) || controller.signal.aborted) return;
        if (error instanceof ApiError && (error.status === 401 || error.status === 400)) {
          storeUserId(null);
          setSession({
            status: 'anonymous',
            notice: `User ${checkingUserId} is not registered any more. Please log in again.`,
          });
        } else {
          setSession({
            status: 'unverified',
            userId: checkingUserId,
            problem: describeApiError(error),
          });
        }
      },
    );
    return () => controller.abort();
  }, [checkingUserId, verifyUser]);

  // Logging in or out in another tab applies here too.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key === SESSION_STORAGE_KEY) setSession(initialSession());
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const logIn = useCallback((userId: number) => {
    storeUserId(userId);
    setSession({ status: 'authenticated', userId });
  }, []);
  const logOut = useCallback(() => {
    storeUserId(null);
    setSession({ status: 'anonymous' });
  }, []);
  const recheck = useCallback(() => setSession(initialSession()), []);

  return <SessionContext value={{ session, logIn, logOut, recheck }}>{children}</SessionContext>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession must be used inside <SessionProvider>');
  return value;
}

/** The id of the user whose login the API confirmed, or null. */
export function useAuthenticatedUserId(): number | null {
  const { session } = useSession();
  return session.status === 'authenticated' ? session.userId : null;
}
