import {
  createContext,
  type ReactNode,
  useContext,
  useEffect,
  useEffectEvent,
  useState,
} from 'react';
import type { SoundEvent } from './api/client.ts';
import { apiBaseUrl } from './api-url.ts';
import { connectLiveEvents, type LiveEventsState } from './live-events.ts';

// Outside the provider nothing tells of changes: whoever asks polls.
const LiveEventsContext = createContext<LiveEventsState>('closed');

/** Keeps the one `GET /events` stream of the app open while mounted, and says how it is. */
export function LiveEventsProvider({
  onStart,
  onEvent,
  children,
}: {
  /** A new stream is open: reload what is shown (see `LiveEventsListener.onStart`). */
  onStart: () => void;
  onEvent: (event: SoundEvent) => void;
  children: ReactNode;
}) {
  const [state, setState] = useState<LiveEventsState>('connecting');
  const start = useEffectEvent(onStart);
  const tell = useEffectEvent(onEvent);
  useEffect(
    () =>
      connectLiveEvents(`${apiBaseUrl()}/events`, {
        onStart: () => start(),
        onEvent: (event) => tell(event),
        onState: setState,
      }),
    [],
  );
  return <LiveEventsContext value={state}>{children}</LiveEventsContext>;
}

/** Whether the live events flow; while they are not `open`, what changes must be asked about. */
export function useLiveEventsState(): LiveEventsState {
  return useContext(LiveEventsContext);
}
