// 3. Listing: GET /sounds?limit=50 over the seeded rows at 50 connections, next to GET /health
// on the same server (the framework's ceiling).
import { getJson } from '../http.ts';
import { type LoadResult, runLoad } from '../load.ts';
import { withCpu } from '../proc.ts';
import { fixed, percent } from '../table.ts';
import { type BenchContext, errorCell, type SectionReport } from './context.ts';

export async function runListingSection(context: BenchContext): Promise<SectionReport> {
  const { plan, system } = context;
  const listingUrl = `${system.urls.api}/sounds?limit=${plan.listingPageSize}`;
  const healthUrl = `${system.urls.apiAlone}/health`;
  const title = `3. Listing (GET /sounds?limit=${plan.listingPageSize}, ${plan.loadSeconds} s at ${plan.loadConnections} connections)`;
  const header = [
    'endpoint',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors + non-2xx',
    'req/s ÷ /health',
    'API CPU ms/req',
  ];

  const page = await getJson<{ items: unknown[] }>(listingUrl);
  const load = (url: string, seconds: number) =>
    runLoad({ url, connections: plan.loadConnections, seconds });

  const results: [string, LoadResult | Error, number][] = [];
  // /openapi.json: a JSON reply of similar size without the database, to tell the cost of the
  // query from the cost of sending ~15 KB.
  const docUrl = `${system.urls.apiAlone}/openapi.json`;
  const docBytes = (await (await fetch(docUrl)).arrayBuffer()).byteLength;
  const pageBytes = (await (await fetch(listingUrl)).arrayBuffer()).byteLength;
  const listingPath = `/sounds?limit=${plan.listingPageSize}`;
  for (const [name, url] of [
    ...(system.gateway
      ? [[`GET ${listingPath} through the gateway`, `${system.urls.api}${listingPath}`] as const]
      : []),
    [`GET ${listingPath} (API alone)`, `${system.urls.apiAlone}${listingPath}`],
    ['GET /health', healthUrl],
    [`GET /openapi.json (static ${Math.round(docBytes / 1024)} KB JSON, no database)`, docUrl],
  ] as const) {
    try {
      // A short unreported run first: JIT, connection pools and caches warm up.
      if (plan.warmupSeconds > 0) await load(url, plan.warmupSeconds);
      const { result, cpu } = await withCpu({ api: system.programs.api.pid }, () =>
        load(url, plan.loadSeconds),
      );
      results.push([name, result, (cpu.api ?? 0) / Math.max(1, result.requests)]);
    } catch (error) {
      results.push([name, error as Error, 0]);
    }
  }

  const health = results.find(([name]) => name === 'GET /health')?.[1];
  const rows = results.map(([name, result, cpuPerRequest]) => {
    if (result instanceof Error) return [name, errorCell(result), '', '', 1, '', ''];
    return [
      name,
      fixed(result.requestsPerSecond, 0),
      fixed(result.p50Ms, 0),
      fixed(result.p99Ms, 0),
      result.errors + result.non2xx,
      health && !(health instanceof Error)
        ? percent(result.requestsPerSecond / health.requestsPerSecond)
        : 'n/a',
      fixed(cpuPerRequest, 2),
    ];
  });
  return {
    title,
    header,
    rows,
    notes: [
      `${plan.seededSounds} sounds inserted with SQL before the API started (plus the uploads of the other sections); each listing page holds ${page.items.length} items (${Math.round(pageBytes / 1024)} KB).`,
      'The listing through the gateway and to the API alone; /health and /openapi.json to the API alone.',
      `autocannon in a separate process on the same cores; ${plan.warmupSeconds} s warm-up per endpoint, not counted. API CPU ms/req = the API process's user + system time during the run ÷ requests answered.`,
    ],
  };
}
