import { type ReactNode, useCallback, useDeferredValue, useEffect, useMemo } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import type { Sound } from '../../../lib/api/client.ts';
import { describeApiError } from '../../../lib/api/errors.ts';
import { usePlayer } from '../../../lib/player/player-provider.tsx';
import type { SoundListFilter } from '../../../lib/query-keys.ts';
import { useAuthenticatedUserId } from '../../../lib/session.tsx';
import { useDeleteSound, useSoundsBeingDeleted } from '../api/delete-sound.ts';
import { useSounds } from '../api/get-sounds.ts';
import { SoundCard } from './sound-card.tsx';

interface SoundListProps {
  filter: SoundListFilter;
  /** The list's accessible name. */
  label: string;
  /** Said when the list is empty. */
  empty: string;
  headingLevel: 2 | 3;
}

/** A listing with "Load more"; the sounds started from it play through it in the player. */
export function SoundList({ filter, label, empty, headingLevel }: SoundListProps) {
  const viewerId = useAuthenticatedUserId();
  const sounds = useSounds(filter);
  const player = usePlayer();
  const deletion = useDeleteSound(viewerId);
  const deleting = useSoundsBeingDeleted();
  const queueId = JSON.stringify(filter);
  const items = useMemo(() => {
    const listed = sounds.data?.pages.flatMap((page) => page.items) ?? [];
    return deleting.length === 0 ? listed : listed.filter((sound) => !deleting.includes(sound.id));
  }, [sounds.data, deleting]);

  // The cards render in a deferred pass that yields to the browser between slices, so a page
  // of them never blocks the main thread in one long task.
  const shown = useDeferredValue(items);
  const catchingUp = shown !== items;
  const onDelete = useCallback((chosen: Sound) => deletion.mutate(chosen), [deletion.mutate]);

  // More loaded, renamed or deleted: the player's previous and next follow.
  useEffect(() => player.updateQueue(queueId, items), [player, queueId, items]);

  let content: ReactNode;
  if (sounds.isPending || (catchingUp && shown.length === 0)) {
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
    content = (
      <>
        {shown.length === 0 ? (
          <p className="placeholder">{empty}</p>
        ) : (
          <ul
            className="sound-list"
            aria-label={label}
            aria-busy={sounds.isPlaceholderData || undefined}
          >
            {shown.map((sound) => (
              <li key={sound.id}>
                <SoundCard
                  sound={sound}
                  viewerId={viewerId}
                  headingLevel={headingLevel}
                  queue={shown}
                  queueId={queueId}
                  onDelete={onDelete}
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
      <p role="status" className="visually-hidden">
        {sounds.isFetchingNextPage
          ? 'Loading more sounds…'
          : filter.q && !sounds.isPending && !sounds.isPlaceholderData
            ? `${items.length}${sounds.hasNextPage ? ' or more' : ''} sounds found.`
            : ''}
      </p>
      {content}
    </>
  );
}
