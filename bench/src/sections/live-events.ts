// 11. Live events: many browsers holding GET /events open and idle, what they cost the API (RSS)
// and the listing beside them (p99), and how long one change takes to reach all of them.
import { connect, type Socket } from 'node:net';
import { uploadWav } from '../http.ts';
import { runLoad } from '../load.ts';
import { statusMiB } from '../proc.ts';
import { fixed, percentile } from '../table.ts';
import { type BenchContext, errorCell, type SectionReport } from './context.ts';

/** One idle browser: a raw connection that reads its stream and remembers what came. */
interface IdleStream {
  socket: Socket;
  received: string;
}

export async function runLiveEventsSection(context: BenchContext): Promise<SectionReport> {
  const { plan, system, userId } = context;
  const count = plan.idleEventStreams;
  const title = `11. Live events (${count} idle GET /events streams to one API process)`;
  const header = ['', 'API RSS MiB', 'listing req/s', 'listing p50 ms', 'listing p99 ms', 'errors'];
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  const api = system.programs.api.pid;
  const listingUrl = `${system.urls.apiAlone}/sounds?limit=${plan.listingPageSize}`;

  const settle = () => new Promise((resolve) => setTimeout(resolve, 1000));
  const listing = () =>
    runLoad({ url: listingUrl, connections: plan.loadConnections, seconds: plan.loadSeconds });
  const row = (label: string, rss: number, load: Awaited<ReturnType<typeof listing>>) =>
    rows.push([
      label,
      fixed(rss, 1),
      fixed(load.requestsPerSecond, 0),
      fixed(load.p50Ms, 1),
      fixed(load.p99Ms, 1),
      load.errors + load.non2xx,
    ]);

  let streams: IdleStream[] = [];
  try {
    // The memory first, with nothing else going on: a listing load before it would leave the
    // heap grown, and the streams would fit in what it left unused.
    await settle();
    const rssBefore = statusMiB(api, 'VmRSS');
    streams = await openIdleStreams(system.urls.apiAlone, count);
    await settle();
    const rssWith = statusMiB(api, 'VmRSS');
    notes.push(
      `The API's RSS grew ${fixed(rssWith - rssBefore, 1)} MiB when the ${count} streams opened: ${fixed(((rssWith - rssBefore) * 1024) / count, 1)} KiB per stream (read while the API was otherwise quiet).`,
    );
    // One unreported load first (JIT, pools), then the listing beside the open streams.
    await listing();
    const during = await listing();
    // One change, and the time until every stream has it.
    const began = performance.now();
    const response = await uploadWav(`${system.urls.api}/sounds`, {
      field: 'file',
      totalBytes: 64 * 1024,
      headers: { 'x-user-id': String(userId) },
    });
    const answeredMs = performance.now() - began;
    const { id } = JSON.parse(response.text) as { id: string };
    const arrivals = await Promise.all(streams.map((stream) => arrivalOf(stream, id, began)));
    notes.push(
      `One upload's \`created\` event reached all ${count} streams: p50 ${fixed(percentile(arrivals, 50), 0)} ms, max ${fixed(Math.max(...arrivals), 0)} ms after the upload began (its 201 came at ${fixed(answeredMs, 0)} ms; the event is sent when the publishing transaction commits).`,
    );
    for (const stream of streams) stream.socket.destroy();
    streams = [];
    await settle();
    // The same listing once they are gone.
    const without = await listing();
    row('no stream open', rssBefore, without);
    row(`${count} idle streams open`, rssWith, during);
  } catch (error) {
    rows.push(['', errorCell(error), '', '', '', 1]);
  } finally {
    for (const stream of streams) stream.socket.destroy();
  }
  return { title, header, rows, notes };
}

/** Opens `count` streams and resolves once each has its first bytes (its `retry:` and `id:`). */
async function openIdleStreams(baseUrl: string, count: number): Promise<IdleStream[]> {
  const { hostname, port } = new URL(baseUrl);
  const streams: IdleStream[] = [];
  // In batches, as browsers come: a thousand handshakes at once would only measure the backlog.
  for (let first = 0; first < count; first += 100) {
    const batch = Array.from({ length: Math.min(100, count - first) }, () =>
      openIdleStream(hostname, Number(port)),
    );
    streams.push(...(await Promise.all(batch)));
  }
  return streams;
}

function openIdleStream(host: string, port: number): Promise<IdleStream> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const stream: IdleStream = { socket, received: '' };
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (chunk: string) => {
      stream.received += chunk;
      if (stream.received.includes('\nid: ')) resolve(stream);
    });
    socket.write(`GET /events HTTP/1.1\r\nHost: ${host}\r\nAccept: text/event-stream\r\n\r\n`);
  });
}

/** When (ms after `since`) the stream received an event naming `soundId`. */
function arrivalOf(stream: IdleStream, soundId: string, since: number): Promise<number> {
  return new Promise((resolve, reject) => {
    if (stream.received.includes(soundId)) {
      resolve(performance.now() - since);
      return;
    }
    const timer = setTimeout(() => reject(new Error('an event never arrived')), 30_000);
    const onData = () => {
      if (!stream.received.includes(soundId)) return;
      clearTimeout(timer);
      stream.socket.off('data', onData);
      resolve(performance.now() - since);
    };
    stream.socket.on('data', onData);
  });
}
