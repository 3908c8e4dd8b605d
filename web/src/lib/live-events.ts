import type { SoundEvent } from './api/client.ts';

/**
 * Whether the live events flow: `open`, `connecting` (first time, or the browser reconnecting by
 * itself) or `closed` (no EventSource, or the browser gave up). Only `open` can be relied on.
 */
export type LiveEventsState = 'connecting' | 'open' | 'closed';

export interface LiveEventsListener {
  /**
   * A new stream is open: what changed before it is unknown. Not said again when the browser
   * reconnects by itself: it sends `Last-Event-ID` and the server replays what was missed.
   */
  onStart: () => void;
  onEvent: (event: SoundEvent) => void;
  onState: (state: LiveEventsState) => void;
}

/**
 * How long after the browser gave up on the stream a new one is opened. It gives up only on an
 * answer that is not a stream (429 for too many streams from one address, 503 while a replica
 * starts…); a dropped connection it retries by itself, at the `retry:` the server set.
 */
export const REOPEN_AFTER_MS = 30_000;

/**
 * How long a hidden tab keeps its stream. Over HTTP/1.1 a browser opens at most six connections
 * to one host, and every stream holds one for good: six tabs left open in the background would
 * leave none for the seventh tab's requests. A tab shown again opens a new stream, which reloads
 * what it shows (`onStart`).
 */
export const HIDDEN_RELEASE_MS = 60_000;

/** Opens `GET /events` at `url` (one EventSource) and tells `listener`; returns the closer. */
export function connectLiveEvents(url: string, listener: LiveEventsListener): () => void {
  if (typeof EventSource === 'undefined') {
    listener.onState('closed');
    return () => {};
  }
  let source: EventSource | undefined;
  let reopen: ReturnType<typeof setTimeout> | undefined;
  let release: ReturnType<typeof setTimeout> | undefined;

  function close() {
    clearTimeout(reopen);
    source?.close();
    source = undefined;
  }

  function onVisibilityChange() {
    clearTimeout(release);
    if (document.visibilityState === 'hidden') {
      release = setTimeout(() => {
        close();
        listener.onState('closed');
      }, HIDDEN_RELEASE_MS);
    } else if (!source) {
      open();
    }
  }

  function open() {
    let started = false;
    const stream = new EventSource(url);
    source = stream;
    listener.onState('connecting');
    stream.addEventListener('open', () => {
      listener.onState('open');
      if (started) return;
      started = true;
      listener.onStart();
    });
    stream.addEventListener('message', (message) => {
      const event = parseEvent(message.data);
      if (event) listener.onEvent(event);
    });
    stream.addEventListener('error', () => {
      if (stream.readyState !== EventSource.CLOSED) {
        listener.onState('connecting');
        return;
      }
      listener.onState('closed');
      // A new EventSource has no last event id: its first open reloads what is shown.
      reopen = setTimeout(open, REOPEN_AFTER_MS);
    });
  }

  open();
  document.addEventListener('visibilitychange', onVisibilityChange);
  return () => {
    document.removeEventListener('visibilitychange', onVisibilityChange);
    clearTimeout(release);
    close();
  };
}

/** The event a `data:` line holds; null for anything else (a newer server may say more). */
function parseEvent(data: unknown): SoundEvent | null {
  if (typeof data !== 'string') return null;
  try {
    const event: unknown = JSON.parse(data);
    return typeof event === 'object' && event !== null && 'kind' in event
      ? (event as SoundEvent)
      : null;
  } catch {
    return null;
  }
}
