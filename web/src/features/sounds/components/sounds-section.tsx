import { createElement, useId } from 'react';
import { useAuthenticatedUserId } from '../../../lib/session.tsx';
import { SearchBox, useSearchQuery } from './search-box.tsx';
import { SoundList } from './sound-list.tsx';

interface SoundsSectionProps {
  /** One uploader's sounds, or everyone's (null). */
  userId: number | null;
  title: string;
  /** 1 when the section is the page itself (a person's page), 2 inside the home page. */
  level: 1 | 2;
}

/** A titled listing with its search box; the search words come from the address. */
export function SoundsSection({ userId, title, level }: SoundsSectionProps) {
  const viewerId = useAuthenticatedUserId();
  const q = useSearchQuery();
  const headingId = useId();
  const mine = userId !== null && userId === viewerId;
  const empty = q
    ? `No sounds match “${q}”.`
    : mine
      ? 'You have not uploaded any sounds yet.'
      : userId !== null
        ? `User ${userId} has not uploaded any sounds yet.`
        : viewerId !== null
          ? 'No sounds yet. Upload the first one!'
          : 'No sounds yet. Log in to upload the first one.';

  return (
    <section className="sounds-section" aria-labelledby={headingId}>
      <div className="section-heading">
        {createElement(`h${level}`, { id: headingId }, title)}
        <SearchBox />
      </div>
      <SoundList
        filter={{ userId, q }}
        label={q ? `${title} matching “${q}”` : title}
        empty={empty}
        headingLevel={level === 1 ? 2 : 3}
      />
    </section>
  );
}
