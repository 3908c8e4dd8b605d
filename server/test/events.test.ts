import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from '../src/db/orm.ts';
import { soundEvents, soundsTable } from '../src/db/schema.ts';
import { formatEvent, openEventStream } from '../src/events/stream.ts';
import { wavTone } from './helpers/audio.ts';
import { EventListener } from './helpers/event-stream.ts';
import { json, uploadSound } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

/** GET /events: live changes, resumed with Last-Event-ID, bounded per client. */

let system: TestSystem;
let owner: number;
const listeners: EventListener[] = [];
beforeAll(async () => {
  system = await startSystem({ EVENTS_HEARTBEAT_MS: '200', CLIENT_MAX_EVENT_STREAMS: '3' });
  owner = await system.createUser();
});
afterAll(async () => {
  for (const listener of listeners) listener.close();
  await system?.close();
});

function listen(): EventListener {
  const listener = new EventListener(system.url);
  listeners.push(listener);
  return listener;
}

async function upload(title: string): Promise<string> {
  const response = await uploadSound(system.url, { userId: owner, bytes: wavTone(), title });
  expect(response.status).toBe(201);
  return (await json<{ id: string }>(response)).id;
}

const asOwner = () => ({ 'x-user-id': String(owner) });

/** Reads a raw stream until `needle` has come, and what came. */
async function readUntil(response: Response, needle: string): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  let text = '';
  while (!text.includes(needle)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended before ${needle}: ${text}`);
    text += new TextDecoder().decode(value);
  }
  await reader.cancel();
  return text;
}

describe('GET /events', () => {
  it('tells of a sound created, renamed, processed and deleted, in order, with rising ids', async () => {
    const listener = listen();
    await listener.opened();
    const id = await upload('Rain');
    await fetch(`${system.url}/sounds/${id}`, {
      method: 'PATCH',
      headers: { ...asOwner(), 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Rain on a roof' }),
    });
    // Processing is another process's write here (PROCESSING_CONCURRENCY is 0 in the tests).
    await system.api.db
      .update(soundsTable)
      .set({ processing: 'failed', processingError: 'undecodable' })
      .where(eq(soundsTable.id, id));
    await fetch(`${system.url}/sounds/${id}`, { method: 'DELETE', headers: asOwner() });

    const events = (await listener.received(4)).filter((event) => event.data.soundId === id);
    expect(events.map((event) => event.data)).toEqual([
      {
        id: expect.any(Number),
        kind: 'created',
        soundId: id,
        userId: owner,
        processing: 'pending',
      },
      {
        id: expect.any(Number),
        kind: 'renamed',
        soundId: id,
        userId: owner,
        processing: 'pending',
      },
      {
        id: expect.any(Number),
        kind: 'processing',
        soundId: id,
        userId: owner,
        processing: 'failed',
      },
      { id: expect.any(Number), kind: 'deleted', soundId: id, userId: owner, processing: null },
    ]);
    const ids = events.map((event) => Number(event.lastEventId));
    expect(ids).toEqual(events.map((event) => event.data.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  it('answers as an event stream that no cache or proxy holds back, and beats while idle', async () => {
    const response = await fetch(`${system.url}/events`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    const text = await readUntil(response, ': heartbeat');
    // It starts with the reconnection delay and the newest id, so a reconnect has no gap.
    expect(text).toMatch(/^retry: \d+\nid: \d+\n\n/);
  });

  it('sends a stream that comes back with Last-Event-ID what it missed, then goes on live', async () => {
    const first = await upload('first');
    const [row] = await system.api.db
      .select({ id: soundEvents.id })
      .from(soundEvents)
      .where(eq(soundEvents.soundId, first));
    const missedOne = await upload('missed one');
    const missedTwo = await upload('missed two');

    const response = await fetch(`${system.url}/events`, {
      headers: { 'last-event-id': String(row?.id) },
    });
    const live = await upload('live');
    const text = await readUntil(response, live);
    const order = [missedOne, missedTwo, live].map((id) => text.indexOf(id));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).not.toContain(first);
  });

  it('tells a stream that missed more than is kept to reload (reset)', async () => {
    await upload('kept');
    const [oldest] = await system.api.db
      .select({ id: sql<number>`min(${soundEvents.id})::int` })
      .from(soundEvents);
    // Events up to here are pruned (the newest is always kept).
    await system.api.db
      .delete(soundEvents)
      .where(sql`${soundEvents.id} < (select max(id) from sound_events)`);
    const response = await fetch(`${system.url}/events`, {
      headers: { 'last-event-id': String(oldest?.id) },
    });
    const text = await readUntil(response, 'reset');
    expect(text).toMatch(/id: \d+\ndata: \{"kind":"reset"\}\n\n/);
  });

  it('refuses a Last-Event-ID it never gave with 400', async () => {
    const response = await fetch(`${system.url}/events`, { headers: { 'last-event-id': 'abc' } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('holds CLIENT_MAX_EVENT_STREAMS streams per address at once, and frees one on close', async () => {
    for (const listener of listeners.splice(0)) listener.close();
    await expect.poll(() => system.api.eventStreamCount()).toBe(0);
    const held = await Promise.all(
      [1, 2, 3].map(async () => {
        const controller = new AbortController();
        const response = await fetch(`${system.url}/events`, { signal: controller.signal });
        expect(response.status).toBe(200);
        return controller;
      }),
    );
    const refused = await fetch(`${system.url}/events`);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ code: 'TOO_MANY_AT_ONCE' });

    held[0]?.abort();
    await expect.poll(() => system.api.eventStreamCount()).toBe(2);
    const again = await fetch(`${system.url}/events`);
    expect(again.status).toBe(200);
    await again.body?.cancel();
    for (const controller of held) controller.abort();
  });

  it('ends its streams when the server closes, so closing never waits for browsers', async () => {
    const other = await startSystem();
    const listener = new EventListener(other.url);
    await listener.opened();
    const started = performance.now();
    await other.close();
    listener.close();
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('an event stream', () => {
  const event = (id: number) => ({
    id,
    kind: 'created' as const,
    soundId: '0b0e5fd3-6a1f-4e1c-9f3e-2f5b2c1a7d10',
    userId: 1,
    processing: 'pending' as const,
  });

  it('holds live events while it replays, and sends each once', async () => {
    let replayed: () => void = () => {};
    const { stream, ready } = openEventStream({
      lastEventId: 1,
      newestId: 3,
      retryMs: 1000,
      onEnd: () => {},
      replay: () =>
        new Promise((resolve) => {
          replayed = () => resolve({ events: [event(2), event(3)] });
        }),
    });
    stream.send(event(3));
    stream.send(event(4));
    replayed();
    await ready;
    stream.end();
    let text = '';
    for await (const chunk of stream.body) text += chunk;
    expect(text).toBe(
      `retry: 1000\n${formatEvent(2, event(2))}${formatEvent(3, event(3))}${formatEvent(4, event(4))}`,
    );
  });

  it('ends a stream whose reader fell too far behind rather than keep every event for it', async () => {
    let ended = false;
    const { stream } = openEventStream({
      lastEventId: undefined,
      newestId: 0,
      retryMs: 1000,
      onEnd: () => {
        ended = true;
      },
      replay: async () => ({ events: [] }),
    });
    for (let id = 1; id <= 2_000; id += 1) stream.send(event(id));
    expect(stream.body.writableEnded).toBe(true);
    expect(stream.body.writableLength).toBeLessThan(128 * 1024);
    stream.body.resume();
    await sleep(10);
    expect(ended).toBe(true);
  });
});
