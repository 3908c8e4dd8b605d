import type { ReactNode } from 'react';
import { SessionBar } from '../features/auth/components/session-bar.tsx';

export function AppLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <header className="site-header">
        <div className="container header-inner">
          <h1 className="brand">Cloud Sound</h1>
          <SessionBar />
        </div>
      </header>
      <main className="container">{children}</main>
    </>
  );
}
