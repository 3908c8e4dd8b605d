import { act, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eventSources, FakeEventSource, liveStream } from '../testing/fake-event-source.ts';
import { API } from '../testing/fixtures.ts';
import type { SoundEvent } from './api/client.ts';
import {
  connectLiveEvents,
  HIDDEN_RELEASE_MS,
  type LiveEventsState,
  REOPEN_AFTER_MS,
} from './live-events.ts';
import { LiveEventsProvider, useLiveEventsState } from './live-events-provider.tsx';

/** Every connection a test made, closed after it (each listens to the document). */
const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
  vi.restoreAllMocks();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** Connects with a listener that keeps what it is told. */
function connect() {
  const told = { starts: 0, events: [] as SoundEvent[], states: [] as LiveEventsState[] };
  const close = connectLiveEvents(`${API}/events`, {
    onStart: () => {
      told.starts += 1;
    },
    onEvent: (event) => told.events.push(event),
    onState: (state) => told.states.push(state),
  });
  closers.push(close);
  return { told, close };
}

const created: SoundEvent = {
  id: 42,
  kind: 'created',
  soundId: '0b0e5fd3-6a1f-4e1c-9f3e-2f5b2c1a7d10',
  userId: 4242,
  processing: 'pending',
};

describe('the live events connection', () => {
  it('opens one EventSource and starts over only on its first open, not when the browser reconnects', () => {
    const { told } = connect();
    expect(eventSources.map((source) => source.url)).toEqual([`${API}/events`]);
    expect(told.states).toEqual(['connecting']);

    liveStream().open();
    expect(told.states.at(-1)).toBe('open');
    expect(told.starts).toBe(1);

    // The browser reconnects by itself with Last-Event-ID: the server replays what was missed.
    liveStream().drop();
    expect(told.states.at(-1)).toBe('connecting');
    liveStream().open();
    expect(told.states).toEqual(['connecting', 'open', 'connecting', 'open']);
    expect(told.starts).toBe(1);
    expect(eventSources).toHaveLength(1);
  });

  it('passes on each event, and nothing that is not one', () => {
    const { told } = connect();
    liveStream().open();
    liveStream().emit(created);
    liveStream().emit({ id: 43, kind: 'reset' });
    for (const data of ['not json', '42', 'null', '{"id":44}']) {
      liveStream().dispatchEvent(new MessageEvent('message', { data }));
    }
    expect(told.events).toEqual([created, { id: 43, kind: 'reset' }]);
  });

  it('opens a new stream a while after the browser gave up, which starts over', () => {
    vi.useFakeTimers();
    const { told } = connect();
    liveStream().open();
    liveStream().fail();
    expect(told.states.at(-1)).toBe('closed');

    vi.advanceTimersByTime(REOPEN_AFTER_MS - 1);
    expect(eventSources).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(eventSources).toHaveLength(2);
    expect(told.states.at(-1)).toBe('connecting');
    liveStream().open();
    // A new EventSource has no last event id: what happened meanwhile is unknown.
    expect(told.starts).toBe(2);
  });

  it('lets a tab hidden for a while give its connection back, and starts over when shown', () => {
    vi.useFakeTimers();
    const { told } = connect();
    liveStream().open();
    const first = liveStream();
    const setVisibility = (state: DocumentVisibilityState) => {
      vi.spyOn(document, 'visibilityState', 'get').mockReturnValue(state);
      document.dispatchEvent(new Event('visibilitychange'));
    };

    // Hidden briefly (a glance at another tab): the stream stays.
    setVisibility('hidden');
    vi.advanceTimersByTime(HIDDEN_RELEASE_MS - 1);
    setVisibility('visible');
    vi.advanceTimersByTime(HIDDEN_RELEASE_MS);
    expect(first.readyState).toBe(FakeEventSource.OPEN);

    setVisibility('hidden');
    vi.advanceTimersByTime(HIDDEN_RELEASE_MS);
    expect(first.readyState).toBe(FakeEventSource.CLOSED);
    expect(told.states.at(-1)).toBe('closed');

    setVisibility('visible');
    expect(eventSources).toHaveLength(2);
    liveStream().open();
    // What happened while it was closed is unknown: reload.
    expect(told.starts).toBe(2);
  });

  it('closes the stream, and opens no other, when closed', () => {
    vi.useFakeTimers();
    const { close } = connect();
    const first = liveStream();
    close();
    expect(first.readyState).toBe(FakeEventSource.CLOSED);

    const again = connect();
    liveStream().fail();
    again.close();
    vi.advanceTimersByTime(REOPEN_AFTER_MS * 2);
    expect(eventSources).toHaveLength(2);
  });

  it('says closed at once where there is no EventSource', () => {
    vi.stubGlobal('EventSource', undefined);
    const { told, close } = connect();
    expect(told.states).toEqual(['closed']);
    close();
  });
});

function ShowState() {
  return <p>{useLiveEventsState()}</p>;
}

describe('the live events provider', () => {
  it('keeps one stream open while mounted, says how it is, and closes it when unmounted', () => {
    const onStart = vi.fn();
    const onEvent = vi.fn();
    const { unmount } = render(
      <LiveEventsProvider onStart={onStart} onEvent={onEvent}>
        <ShowState />
      </LiveEventsProvider>,
    );
    expect(screen.getByText('connecting')).toBeInTheDocument();
    act(() => liveStream().open());
    expect(screen.getByText('open')).toBeInTheDocument();
    expect(onStart).toHaveBeenCalledOnce();
    act(() => liveStream().emit(created));
    expect(onEvent).toHaveBeenCalledWith(created);

    unmount();
    expect(eventSources).toHaveLength(1);
    expect(liveStream().readyState).toBe(FakeEventSource.CLOSED);
  });

  it('says closed once the browser gave up', () => {
    render(
      <LiveEventsProvider onStart={() => {}} onEvent={() => {}}>
        <ShowState />
      </LiveEventsProvider>,
    );
    act(() => liveStream().fail());
    expect(screen.getByText('closed')).toBeInTheDocument();
  });

  it('says closed to whoever asks outside it: they poll', () => {
    render(<ShowState />);
    expect(screen.getByText('closed')).toBeInTheDocument();
  });
});
