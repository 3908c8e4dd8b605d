import { useEffect } from 'react';

const SITE = 'Cloud Sound';

/** Sets the tab's title ("Morning birds · Cloud Sound") and the page's description. */
export function useDocumentTitle(title: string | null, description?: string): void {
  useEffect(() => {
    document.title = title ? `${title} · ${SITE}` : SITE;
    if (description) {
      document.querySelector('meta[name="description"]')?.setAttribute('content', description);
    }
  }, [title, description]);
}
