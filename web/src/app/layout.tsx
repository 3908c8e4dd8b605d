import { useEffect, useRef } from 'react';
import { Link, Outlet, useLocation } from 'react-router';
import { PlayerBar } from '../components/player/player-bar.tsx';
import { SessionBar } from '../features/auth/components/session-bar.tsx';
import { PreparingSoundWatch } from '../features/sounds/components/preparing-sound.tsx';
import { useAuthenticatedUserId } from '../lib/session.tsx';

/** Every page: the header, the page itself, and the player that plays on across pages. */
export function AppLayout() {
  const userId = useAuthenticatedUserId();
  useFocusOnNavigation();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <div className="container header-inner">
          <Link to="/" className="brand">
            Cloud Sound
          </Link>
          <nav aria-label="Main" className="site-nav">
            <Link to="/">All sounds</Link>
            {userId !== null && <Link to={`/users/${userId}`}>My sounds</Link>}
          </nav>
          <SessionBar />
        </div>
      </header>
      <main id="main" tabIndex={-1} className="container">
        <Outlet />
      </main>
      <PlayerBar />
      <PreparingSoundWatch />
    </>
  );
}

/** A new page starts at its top, with focus there for keyboard and screen reader users. */
function useFocusOnNavigation(): void {
  const { pathname } = useLocation();
  const first = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every change of page
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    window.scrollTo(0, 0);
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [pathname]);
}
