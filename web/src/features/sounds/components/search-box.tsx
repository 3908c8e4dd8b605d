import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';

/** How long typing must pause before the search runs. */
export const SEARCH_DEBOUNCE_MS = 300;

/** The search words in the address (`?q=`), the one place the query lives. */
export function useSearchQuery(): string {
  const [params] = useSearchParams();
  return (params.get('q') ?? '').trim();
}

/**
 * A search box whose query lives in the address: typing updates `?q=` after a short pause (a
 * history entry each time, so back and forward go through the searches), and the box follows
 * the address when back or forward change it.
 */
export function SearchBox({ label = 'Search sounds' }: { label?: string }) {
  const [params, setParams] = useSearchParams();
  const query = (params.get('q') ?? '').trim();
  const [text, setText] = useState(query);
  const committed = useRef(query);
  const inputId = useId();

  // Back and forward: the box shows the address's query.
  useEffect(() => {
    if (query !== committed.current) {
      committed.current = query;
      setText(query);
    }
  }, [query]);

  const commit = (value: string) => {
    const next = value.trim();
    if (next === committed.current) return;
    committed.current = next;
    setParams(
      (current) => {
        const updated = new URLSearchParams(current);
        if (next) updated.set('q', next);
        else updated.delete('q');
        return updated;
      },
      { preventScrollReset: true },
    );
  };

  const latestCommit = useRef(commit);
  latestCommit.current = commit;
  useEffect(() => {
    const timer = setTimeout(() => latestCommit.current(text), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text]);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    commit(text);
  };

  return (
    // biome-ignore lint/a11y/useSemanticElements: <search> is not yet known to every screen reader
    <form role="search" className="search-box" onSubmit={onSubmit}>
      <label htmlFor={inputId}>{label}</label>
      <input
        id={inputId}
        type="search"
        name="q"
        value={text}
        autoComplete="off"
        placeholder="Title or file name"
        onChange={(event) => setText(event.target.value)}
      />
    </form>
  );
}
