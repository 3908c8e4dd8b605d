import { Link } from 'react-router';
import { useDocumentTitle } from '../../lib/document-title.ts';

/** Unknown addresses and unknown sounds. */
export function NotFoundPage({ what = 'page' }: { what?: 'page' | 'sound' }) {
  const title = what === 'sound' ? 'Sound not found' : 'Page not found';
  useDocumentTitle(title);
  return (
    <section className="not-found" aria-labelledby="not-found-title">
      <h1 id="not-found-title">{title}</h1>
      <p>
        {what === 'sound'
          ? 'There is no sound at this address. It may have been deleted.'
          : 'There is nothing at this address.'}
      </p>
      <p>
        <Link to="/">Go to all sounds</Link>
      </p>
    </section>
  );
}
