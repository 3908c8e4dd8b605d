import { PassThrough } from 'node:stream';
import type { Replay, SoundEvent } from './hub.ts';

/**
 * One browser's event stream (`GET /events`), written in the Server-Sent Events format
 * (WHATWG HTML, "Server-sent events"): `id:` on every event, so a browser that reconnects
 * names the last one it got in `Last-Event-ID`; `data:` one line of JSON.
 */
export interface EventStream {
  /** The response body: what Fastify sends. */
  readonly body: PassThrough;
  /** Passes on one event, unless this browser is so far behind that it is dropped instead. */
  send(event: SoundEvent): void;
  /** A comment line: keeps the connection (and every proxy on the way) from timing out. */
  heartbeat(): void;
  /** Ends the stream: the browser reconnects, with `Last-Event-ID`, elsewhere or later. */
  end(): void;
}

/**
 * What may wait in memory for a browser that reads slower than events come. Past it the stream
 * ends: the browser reconnects and is replayed what it missed from the database, so a stalled
 * reader costs this much at most, not a copy of every event since it stalled.
 */
const MAX_BUFFERED_BYTES = 64 * 1024;

/** The SSE form of an event; `id` alone (no `data`) only sets the browser's last event id. */
export function formatEvent(id: number, data?: object): string {
  return data === undefined ? `id: ${id}\n\n` : `id: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Opens a stream that starts where the browser left off: first the events it missed (or, when
 * they are no longer all kept, one `reset` telling it to reload), then live ones. Live events
 * that arrive while the missed ones are read are held, and sent after them unless they were
 * among them.
 */
export function openEventStream(options: {
  /** Where the browser left off (`Last-Event-ID`), if it says. */
  lastEventId: number | undefined;
  /** The newest event id now: a browser without one starts from here. */
  newestId: number;
  replay: (lastEventId: number) => Promise<Replay>;
  /** How long the browser waits before reconnecting, in ms (the SSE `retry:` field). */
  retryMs: number;
  onEnd: () => void;
}): { stream: EventStream; ready: Promise<void> } {
  const body = new PassThrough();
  let held: SoundEvent[] | null = options.lastEventId === undefined ? null : [];
  let ended = false;

  function write(text: string) {
    if (ended) return;
    if (body.writableLength > MAX_BUFFERED_BYTES) {
      stream.end();
      return;
    }
    body.write(text);
  }

  const stream: EventStream = {
    body,
    send(event) {
      if (held) held.push(event);
      else write(formatEvent(event.id, event));
    },
    heartbeat() {
      write(': heartbeat\n\n');
    },
    end() {
      if (ended) return;
      ended = true;
      body.end();
    },
  };
  body.once('close', () => {
    ended = true;
    options.onEnd();
  });

  write(`retry: ${options.retryMs}\n`);
  if (options.lastEventId === undefined) {
    write(formatEvent(options.newestId));
    return { stream, ready: Promise.resolve() };
  }
  const ready = options.replay(options.lastEventId).then((replay) => {
    const sent = new Set<number>();
    if ('reset' in replay) {
      write(formatEvent(replay.newestId, { kind: 'reset' }));
    } else {
      for (const event of replay.events) {
        sent.add(event.id);
        write(formatEvent(event.id, event));
      }
    }
    const live = held ?? [];
    held = null;
    for (const event of live) if (!sent.has(event.id)) write(formatEvent(event.id, event));
  });
  return { stream, ready };
}
