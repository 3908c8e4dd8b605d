import { useParams } from 'react-router';
import { SoundsSection } from '../../features/sounds/components/sounds-section.tsx';
import { useDocumentTitle } from '../../lib/document-title.ts';
import { useAuthenticatedUserId } from '../../lib/session.tsx';
import { parseUserId } from '../../lib/user-id.ts';
import { NotFoundPage } from './not-found.tsx';

/** `/users/:userId`: one person's sounds (`?q=` searches them). */
export function UserPage() {
  const userId = parseUserId(useParams().userId ?? '');
  if (userId === null) return <NotFoundPage />;
  return <UserSounds userId={userId} />;
}

function UserSounds({ userId }: { userId: number }) {
  const mine = useAuthenticatedUserId() === userId;
  const title = mine ? 'My sounds' : `Sounds by user ${userId}`;
  useDocumentTitle(title, `The sounds user ${userId} uploaded to Cloud Sound.`);
  return <SoundsSection key={userId} userId={userId} title={title} level={1} />;
}
