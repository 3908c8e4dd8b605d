import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/client.ts';
import { and, asc, gt, lt, max, min, sql } from '../db/orm.ts';
import type { ProcessingState } from '../db/schema.ts';
import { type SoundEventKind, soundEvents } from '../db/schema.ts';

/** The channel the database announces events on (drizzle/0006_sound_events.sql). */
export const SOUND_EVENTS_CHANNEL = 'sound_events';

/** One change to a listed sound, as the database announced it and `GET /events` sends it. */
export interface SoundEvent {
  id: number;
  kind: SoundEventKind;
  soundId: string;
  userId: number;
  processing: ProcessingState | null;
}

/** What a stream coming back with `Last-Event-ID` is owed. */
export type Replay = { events: SoundEvent[] } | { reset: true; newestId: number };

/**
 * A browser that missed more than this many events reloads instead (`reset`): cheaper for both
 * than sending a backlog one change at a time.
 */
export const MAX_REPLAYED_EVENTS = 1000;

export interface SoundEventHub {
  /** The id of the newest event passed on so far (0: none yet). */
  newestId(): number;
  /** Calls `listener` with every event committed from now on, by any process, in commit order. */
  subscribe(listener: (event: SoundEvent) => void): () => void;
  /** The events after `lastEventId`, oldest first, or `reset` when they are no longer all kept. */
  replayAfter(lastEventId: number): Promise<Replay>;
  /**
   * Reads back events committed but never heard: the safety net for a listening connection
   * that dropped and could not listen again at once (the database restarting, say).
   */
  catchUp(): Promise<void>;
  /** Deletes events older than `retentionMs`, always keeping the newest (see replayAfter). */
  prune(retentionMs: number): Promise<number>;
}

/**
 * The events every replica hears from the database: one LISTEN connection per process, fanned
 * out to its subscribers (the event streams, the read cache). A notice that comes while the
 * listening connection is down is lost; after it listens again, the events committed meanwhile
 * are read from the table, so subscribers miss none.
 */
export async function openSoundEventHub(options: {
  db: Database;
  listen: (
    channel: string,
    onNotice: (payload: string) => void,
    onListening?: () => void,
  ) => Promise<void>;
  log: FastifyBaseLogger;
}): Promise<SoundEventHub> {
  const { db, log } = options;
  const listeners = new Set<(event: SoundEvent) => void>();
  // The newest event passed on: after listening again, everything past it is read back.
  let newestSeen = 0;

  function publish(event: SoundEvent) {
    if (event.id > newestSeen) newestSeen = event.id;
    for (const listener of listeners) listener(event);
  }

  async function eventsAfter(id: number, limit: number): Promise<SoundEvent[]> {
    const rows = await db
      .select()
      .from(soundEvents)
      .where(gt(soundEvents.id, id))
      .orderBy(asc(soundEvents.id))
      .limit(limit);
    return rows.map(({ createdAt, ...event }) => event);
  }

  async function catchUp() {
    const missed = await eventsAfter(newestSeen, MAX_REPLAYED_EVENTS);
    for (const event of missed) if (event.id > newestSeen) publish(event);
  }

  let listenedBefore = false;
  function onListening() {
    // The first LISTEN starts the stream; a later one follows a dropped connection.
    if (!listenedBefore) {
      listenedBefore = true;
      return;
    }
    log.info({ after: newestSeen }, 'listening for sound events again; reading the ones missed');
    catchUp().catch((error) => log.warn({ err: error }, 'could not read the sound events missed'));
  }

  const [newest] = await db.select({ id: max(soundEvents.id) }).from(soundEvents);
  newestSeen = newest?.id ?? 0;
  await options.listen(
    SOUND_EVENTS_CHANNEL,
    (payload) => {
      try {
        publish(JSON.parse(payload) as SoundEvent);
      } catch (error) {
        log.warn({ err: error, payload }, 'unreadable sound event notice');
      }
    },
    onListening,
  );

  return {
    newestId: () => newestSeen,

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    catchUp,

    async replayAfter(lastEventId) {
      const [bounds] = await db
        .select({ oldest: min(soundEvents.id), newest: max(soundEvents.id) })
        .from(soundEvents);
      const oldest = bounds?.oldest ?? null;
      const newestKept = bounds?.newest ?? 0;
      // Older than anything kept (pruned meanwhile), or newer than anything written (another
      // database): what the browser holds cannot be brought up to date event by event.
      if ((oldest !== null && lastEventId < oldest - 1) || lastEventId > newestKept) {
        return { reset: true, newestId: newestKept };
      }
      const events = await eventsAfter(lastEventId, MAX_REPLAYED_EVENTS + 1);
      return events.length > MAX_REPLAYED_EVENTS
        ? { reset: true, newestId: newestKept }
        : { events };
    },

    async prune(retentionMs) {
      // The newest event stays whatever its age: it is how replayAfter tells a browser that is
      // up to date from one that missed pruned events.
      const removed = await db
        .delete(soundEvents)
        .where(
          and(
            lt(soundEvents.createdAt, sql`now() - make_interval(secs => ${retentionMs / 1000})`),
            lt(soundEvents.id, sql`(select max(${soundEvents.id}) from ${soundEvents})`),
          ),
        )
        .returning({ id: soundEvents.id });
      return removed.length;
    },
  };
}
