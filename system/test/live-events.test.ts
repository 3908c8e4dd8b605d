import { wavTone } from '@cloud-sound/server/testing/audio';
import { EventListener } from '@cloud-sound/server/testing/event-stream';
import { json, uploadSound } from '@cloud-sound/server/testing/http';
import { sleep } from '@cloud-sound/server/testing/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from './helpers/test-system.ts';

/**
 * Live events (GET /events) with three API replicas behind the launcher's nginx gateway:
 * browsers connected through the gateway (spread over the replicas) and straight to each
 * replica hear every change made on any replica, as soon as it commits; a replica killed while
 * they listen costs them nothing (they reconnect elsewhere with Last-Event-ID and are sent what
 * they missed).
 */

const REPLICAS = 3;
/** Browsers through the gateway: with least_conn, some on every replica. */
const THROUGH_GATEWAY = 6;

let system: TestSystem;
const listeners: EventListener[] = [];
beforeAll(async () => {
  system = await startTestSystem({
    apiReplicas: REPLICAS,
    // A long TTL: what other replicas show comes from the events, not from the cache expiring.
    api: { READ_CACHE_TTL_MS: '60000', EVENTS_HEARTBEAT_MS: '1000' },
  });
}, 120_000);
afterAll(async () => {
  for (const listener of listeners) listener.close();
  await system?.close();
});

function listen(url: string): EventListener {
  const listener = new EventListener(url);
  listeners.push(listener);
  return listener;
}

/** The sound ids a listener has heard of, in the order heard, for one kind of event. */
function heard(listener: EventListener, kind: string): string[] {
  return listener.events
    .filter((event) => event.data.kind === kind)
    .map((event) => String(event.data.soundId));
}

describe('live events across three replicas', () => {
  it('brings a change made on replica 1 to browsers on every replica, within milliseconds', async () => {
    const gatewayListeners = Array.from({ length: THROUGH_GATEWAY }, () => listen(system.apiUrl));
    const direct = system.replicas.map((replica) => listen(replica.url));
    const everyone = [...gatewayListeners, ...direct];
    await Promise.all(everyone.map((listener) => listener.opened()));

    const userId = await system.createUser();
    const writer = system.replicas[0];
    if (!writer) throw new Error('no replica');
    const lags: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      const before = everyone.map((listener) => listener.events.length);
      const response = await uploadSound(writer.url, {
        userId,
        bytes: wavTone(),
        title: `live ${round}`,
      });
      expect(response.status).toBe(201);
      const answered = performance.now();
      const { id } = await json<{ id: string }>(response);
      await Promise.all(
        everyone.map(async (listener, index) => {
          await listener.until(
            () => heard(listener, 'created').includes(id),
            5_000,
            `created ${id}`,
          );
          lags.push(performance.now() - answered);
          // Nothing else came in between: one event per change.
          expect(listener.events.length).toBe((before[index] ?? 0) + 1);
        }),
      );
    }
    const sorted = lags.sort((a, b) => a - b);
    console.info(
      `live events: a change on replica 1 reached ${everyone.length} browsers on ${REPLICAS} replicas ${Math.round(sorted[0] ?? 0)}–${Math.round(sorted.at(-1) ?? 0)} ms after its 201 (median ${Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0)} ms)`,
    );
    // Notices arrive as the transaction commits, before the 201 is even sent: this is the time
    // to pass it on, not a poll interval.
    expect(sorted.at(-1)).toBeLessThan(500);
  });

  it('loses nothing for browsers whose replica is killed: they resume elsewhere with Last-Event-ID', async () => {
    for (const listener of listeners.splice(0)) listener.close();
    const browsers = Array.from({ length: THROUGH_GATEWAY }, () => listen(system.apiUrl));
    await Promise.all(browsers.map((listener) => listener.opened()));
    const userId = await system.createUser();
    const victim = system.replicas[1];
    const writer = system.replicas[0];
    if (!victim || !writer) throw new Error('no replica');

    const made: string[] = [];
    const upload = async (title: string) => {
      const response = await uploadSound(writer.url, { userId, bytes: wavTone(), title });
      expect(response.status).toBe(201);
      made.push((await json<{ id: string }>(response)).id);
    };
    await upload('before the kill');
    await victim.kill('SIGKILL');
    // Changes made while the victim's browsers are reconnecting.
    for (let i = 0; i < 5; i += 1) {
      await upload(`while reconnecting ${i}`);
      await sleep(100);
    }
    await victim.start();
    await upload('after the restart');

    await Promise.all(
      browsers.map((listener) =>
        listener.until(
          () => made.every((id) => heard(listener, 'created').includes(id)),
          15_000,
          'every change',
        ),
      ),
    );
    for (const listener of browsers) {
      // Each once, in the order made.
      expect(heard(listener, 'created')).toEqual(made);
    }
    const reconnected = browsers.filter((listener) => listener.opens > 1).length;
    console.info(
      `live events: ${reconnected} of ${browsers.length} browsers reconnected after replica 2 was killed; each heard all ${made.length} changes once, in order`,
    );
    // The killed replica had some of them (least_conn spreads the streams).
    expect(reconnected).toBeGreaterThan(0);
  }, 60_000);
});
