import { type ReactNode, useId, useState } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import type { Sound } from '../../../lib/api/client.ts';
import { ApiError, describeApiError } from '../../../lib/api/errors.ts';
import { useAuthenticatedUserId } from '../../../lib/session.tsx';
import { useDeleteSound } from '../api/delete-sound.ts';
import { useSounds } from '../api/get-sounds.ts';
import { SoundCard } from './sound-card.tsx';

type Filter = 'all' | 'mine';

/** The listening room: every sound, newest first, or only the logged-in user's. */
export function SoundsSection() {
  const userId = useAuthenticatedUserId();
  const [filter, setFilter] = useState<Filter>('all');
  const headingId = useId();
  const showingMine = filter === 'mine' && userId !== null;

  return (
    <section className="sounds-section" aria-labelledby={headingId}>
      <div className="section-heading">
        <h2 id={headingId}>{showingMine ? 'My sounds' : 'All sounds'}</h2>
        {userId !== null && <FilterSwitch filter={filter} onChange={setFilter} />}
      </div>
      <SoundList listUserId={showingMine ? userId : null} viewerId={userId} />
    </section>
  );
}

function FilterSwitch({
  filter,
  onChange,
}: {
  filter: Filter;
  onChange: (filter: Filter) => void;
}) {
  const name = useId();
  const options = [
    ['all', 'All sounds'],
    ['mine', 'My sounds'],
  ] as const;
  return (
    <fieldset className="filter-switch">
      <legend className="visually-hidden">Show</legend>
      {options.map(([value, label]) => (
        <label key={value}>
          <input
            type="radio"
            name={name}
            value={value}
            checked={filter === value}
            onChange={() => onChange(value)}
          />
          {label}
        </label>
      ))}
    </fieldset>
  );
}

function SoundList({
  listUserId,
  viewerId,
}: {
  listUserId: number | null;
  viewerId: number | null;
}) {
  const sounds = useSounds(listUserId);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const deletion = useDeleteSound(viewerId, {
    onSuccess: (sound) => setAnnouncement(`Deleted “${sound.title}”.`),
    onError: (error, sound) => setDeleteError(describeDeleteError(error, sound)),
  });
  const deleteSound = (sound: Sound) => {
    setDeleteError(null);
    setAnnouncement(`Deleting “${sound.title}”…`);
    deletion.mutate(sound);
  };

  let content: ReactNode;
  if (sounds.isPending) {
    content = <p className="placeholder">Loading sounds…</p>;
  } else if (sounds.isLoadingError) {
    content = (
      <div className="placeholder">
        <Alert>Could not load the sounds. {describeApiError(sounds.error)}</Alert>
        <button type="button" onClick={() => sounds.refetch()}>
          Try loading again
        </button>
      </div>
    );
  } else {
    const items = sounds.data.pages.flatMap((page) => page.items);
    content = (
      <>
        {items.length === 0 ? (
          <p className="placeholder">
            {listUserId !== null
              ? 'You have not uploaded any sounds yet.'
              : viewerId !== null
                ? 'No sounds yet. Upload the first one!'
                : 'No sounds yet. Log in to upload the first one.'}
          </p>
        ) : (
          <ul className="sound-list" aria-label={listUserId !== null ? 'My sounds' : 'All sounds'}>
            {items.map((sound) => (
              <li key={sound.id}>
                <SoundCard
                  sound={sound}
                  own={viewerId !== null && sound.userId === viewerId}
                  onDelete={deleteSound}
                />
              </li>
            ))}
          </ul>
        )}
        {sounds.isFetchNextPageError && (
          <Alert>Could not load more sounds. {describeApiError(sounds.error)}</Alert>
        )}
        {sounds.isRefetchError && !sounds.isFetchNextPageError && (
          <Alert>Could not refresh the sounds. {describeApiError(sounds.error)}</Alert>
        )}
        <div className="list-footer">
          {sounds.hasNextPage ? (
            <button
              type="button"
              onClick={() => sounds.fetchNextPage()}
              disabled={sounds.isFetchingNextPage}
            >
              {sounds.isFetchingNextPage ? 'Loading more…' : 'Load more'}
            </button>
          ) : (
            items.length > 0 && <p className="hint">You have reached the end of the list.</p>
          )}
        </div>
      </>
    );
  }

  return (
    <>
      {/* Polite announcements of what is happening; errors use their own alerts. */}
      <p role="status" className="visually-hidden">
        {sounds.isFetchingNextPage ? 'Loading more sounds…' : announcement}
      </p>
      {deleteError && (
        <div className="dismissible">
          <Alert>{deleteError}</Alert>
          <button type="button" className="secondary" onClick={() => setDeleteError(null)}>
            Dismiss
          </button>
        </div>
      )}
      {content}
    </>
  );
}

function describeDeleteError(error: Error, sound: Sound): string {
  const what = `Could not delete “${sound.title}”, so it is back in the list.`;
  if (error instanceof ApiError) {
    if (error.code === 'NOT_OWNER') return `${what} Only its uploader may delete it.`;
    if (error.code === 'SOUND_NOT_FOUND') return `“${sound.title}” was already deleted.`;
  }
  return `${what} ${describeApiError(error)}`;
}
