import { useParams } from 'react-router';
import { Alert } from '../../components/ui/alert.tsx';
import { useSound } from '../../features/sounds/api/get-sound.ts';
import { SoundDetails } from '../../features/sounds/components/sound-details.tsx';
import { ApiError, describeApiError } from '../../lib/api/errors.ts';
import { useDocumentTitle } from '../../lib/document-title.ts';
import { NotFoundPage } from './not-found.tsx';

/** `/sounds/:soundId`: one sound, with a large waveform; unknown ids get the 404 page. */
export function SoundPage() {
  const soundId = useParams().soundId ?? '';
  const sound = useSound(soundId);
  useDocumentTitle(
    sound.data?.title ?? null,
    sound.data ? `Listen to “${sound.data.title}” on Cloud Sound.` : undefined,
  );

  if (sound.isPending) return <p className="placeholder">Loading the sound…</p>;
  if (sound.isError) {
    if (
      sound.error instanceof ApiError &&
      (sound.error.status === 404 || sound.error.status === 400)
    ) {
      return <NotFoundPage what="sound" />;
    }
    return (
      <div className="placeholder">
        <Alert>Could not load this sound. {describeApiError(sound.error)}</Alert>
        <button type="button" onClick={() => sound.refetch()}>
          Try loading again
        </button>
      </div>
    );
  }
  return <SoundDetails sound={sound.data} />;
}
