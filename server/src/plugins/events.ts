import type { PassThrough } from 'node:stream';
import fp from 'fastify-plugin';
import { openSoundEventHub } from '../events/hub.ts';
import { type EventStream, openEventStream } from '../events/stream.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Opens one browser's event stream, from `lastEventId` on when it names one; resolves to
     * the response body once the events it missed are in it.
     */
    openEventStream(lastEventId: number | undefined): Promise<PassThrough>;
    /** Event streams open in this process (for the tests and the benchmark). */
    eventStreamCount(): number;
  }
}

/**
 * Live events (`GET /events`): what the database announces (events/hub.ts) goes to every
 * stream open here, and makes this process forget its cached reads, whichever process wrote.
 * One timer beats for every stream (not one per stream: a thousand idle browsers cost a
 * thousand buffers, nothing more), and also reads back any event whose notice was lost; the
 * reaper's interval prunes old events.
 */
export default fp(
  async (fastify) => {
    const { config } = fastify;
    const hub = await openSoundEventHub({
      db: fastify.db,
      listen: fastify.listenToDatabase,
      log: fastify.log,
    });
    const streams = new Set<EventStream>();
    hub.subscribe(() => fastify.sounds.changed());
    hub.subscribe((event) => {
      for (const stream of streams) stream.send(event);
    });

    fastify.decorate('eventStreamCount', () => streams.size);
    fastify.decorate('openEventStream', async (lastEventId: number | undefined) => {
      const { stream, ready } = openEventStream({
        lastEventId,
        newestId: hub.newestId(),
        replay: hub.replayAfter,
        // Spread out, so the browsers of a replica that stops do not all come back at once.
        retryMs: 1000 + Math.floor(Math.random() * 2000),
        onEnd: () => streams.delete(stream),
      });
      streams.add(stream);
      try {
        await ready;
      } catch (error) {
        stream.end();
        throw error;
      }
      return stream.body;
    });

    const beat = setInterval(() => {
      for (const stream of streams) stream.heartbeat();
      hub.catchUp().catch((error) => fastify.log.warn({ err: error }, 'sound events catch-up'));
    }, config.EVENTS_HEARTBEAT_MS).unref();
    const prune = setInterval(() => {
      hub
        .prune(config.EVENTS_RETENTION_MS)
        .catch((error) => fastify.log.warn({ err: error }, 'pruning sound events failed'));
    }, config.REAPER_INTERVAL_MS).unref();

    // Streams never end by themselves: end them, or closing would wait for every browser.
    fastify.addHook('preClose', async () => {
      clearInterval(beat);
      clearInterval(prune);
      for (const stream of streams) stream.end();
    });
  },
  { name: 'events', dependencies: ['config', 'db', 'sounds'] },
);
