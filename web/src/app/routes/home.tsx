import { AccountPanel } from '../../features/auth/components/account-panel.tsx';
import { useSearchQuery } from '../../features/sounds/components/search-box.tsx';
import { SoundsSection } from '../../features/sounds/components/sounds-section.tsx';
import { UploadForm } from '../../features/upload/components/upload-form.tsx';
import { useDocumentTitle } from '../../lib/document-title.ts';
import { useAuthenticatedUserId } from '../../lib/session.tsx';

/** `/`: account or upload on top, everyone's sounds below (`?q=` searches them). */
export function HomePage() {
  const userId = useAuthenticatedUserId();
  const q = useSearchQuery();
  useDocumentTitle(
    q ? `Search: ${q}` : null,
    'Upload sounds and listen to everyone’s on Cloud Sound.',
  );
  return (
    <>
      <h1 className="visually-hidden">Cloud Sound</h1>
      <AccountPanel />
      {userId !== null && <UploadForm key={userId} userId={userId} />}
      <SoundsSection userId={null} title="All sounds" level={2} />
    </>
  );
}
