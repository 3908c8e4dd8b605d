import { AccountPanel } from '../features/auth/components/account-panel.tsx';
import { SoundsSection } from '../features/sounds/components/sounds-section.tsx';
import { UploadForm } from '../features/upload/components/upload-form.tsx';
import { useAuthenticatedUserId } from '../lib/session.tsx';
import { AppLayout } from './layout.tsx';
import { AppProviders } from './providers.tsx';
import './styles.css';

export function App() {
  return (
    <AppProviders>
      <AppLayout>
        <HomePage />
      </AppLayout>
    </AppProviders>
  );
}

/** The one page: account or upload on top, the sounds below. */
export function HomePage() {
  const userId = useAuthenticatedUserId();
  return (
    <>
      <AccountPanel />
      {userId !== null && <UploadForm key={userId} userId={userId} />}
      <SoundsSection />
    </>
  );
}
