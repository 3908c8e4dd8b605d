// 6. Catalogue: a million sounds on Postgres. The reads a visitor makes (the first page, one
// uploader's page, page 200 of a cursor walk, a search), with the read cache off (the path
// every distinct query takes) and on, each next to /openapi.json on the same server: a static
// JSON reply of similar size, the ceiling of the framework and the bytes without the database.
// The queries' plans are printed with EXPLAIN (ANALYZE, BUFFERS).
import { join } from 'node:path';
import { programDataDir } from '@cloud-sound/system';
import postgres from 'postgres';
import { seedSounds } from '../database.ts';
import { getJson } from '../http.ts';
import { type LoadResult, runLoad } from '../load.ts';
import { apiNodeFlags } from '../plan.ts';
import { withCpu } from '../proc.ts';
import { startBenchSystem } from '../system.ts';
import { fixed, percent } from '../table.ts';
import { errorCell, type OwnSystemsContext, type SectionReport } from './context.ts';

/** Uploaders the sounds are spread over: 50 each, one page. */
const SOUNDS_PER_UPLOADER = 50;
/** The cursor walk's page whose URL is measured. */
const DEEP_PAGE = 200;
/** A word typed into the search box: in one title of ten. */
const SEARCH = 'piano';

interface Target {
  name: string;
  path: string;
  /** The statement the API runs for it, for EXPLAIN (undefined: no database). */
  explain?: (sql: postgres.Sql) => Promise<string>;
}

export async function runCatalogueSection(context: OwnSystemsContext): Promise<SectionReport> {
  const { plan } = context;
  const count = plan.catalogueSounds;
  const title = `6. Catalogue (${count.toLocaleString('en')} sounds; ${plan.loadSeconds} s at ${plan.loadConnections} connections per row)`;
  const header = [
    'read cache',
    'endpoint',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors + non-2xx',
    'req/s ÷ static',
    'p99 ÷ static p99',
    'API CPU ms/req',
  ];
  const databaseUrl = await context.database.another();
  if (!databaseUrl && !plan.smoke) {
    return {
      title,
      header,
      rows: [['n/a', 'not measured: a million rows are measured on Postgres (set DATABASE_URL)']],
      notes: [],
    };
  }
  const systemDir = join(context.workDir, 'catalogue');
  const seedBegan = performance.now();
  await seedSounds({
    databaseUrl,
    apiDataDir: programDataDir(systemDir, 'api'),
    count,
    uploaders: Math.max(1, Math.round(count / SOUNDS_PER_UPLOADER)),
  });
  const seedSeconds = (performance.now() - seedBegan) / 1000;

  const rows: (string | number)[][] = [];
  const plans: string[] = [];
  for (const cache of ['off', 'on'] as const) {
    const system = await startBenchSystem({
      dataDir: join(systemDir, `cache-${cache}`),
      databaseUrl,
      logLevel: plan.logLevel,
      apiNodeArgs: apiNodeFlags(plan),
      // Everything in this database is processed already; nothing to run.
      apiSettings: {
        READ_CACHE_TTL_MS: cache === 'off' ? '0' : '1000',
        PROCESSING_CONCURRENCY: '0',
      },
    });
    try {
      const api = system.urls.api;
      const targets = await chooseTargets(api, plan.listingPageSize);
      const results: Array<[Target, LoadResult | Error, number]> = [];
      for (const target of targets) {
        try {
          const url = `${api}${target.path}`;
          if (plan.warmupSeconds > 0) {
            await runLoad({ url, connections: plan.loadConnections, seconds: plan.warmupSeconds });
          }
          const { result, cpu } = await withCpu({ api: system.programs.api.pid }, () =>
            runLoad({ url, connections: plan.loadConnections, seconds: plan.loadSeconds }),
          );
          results.push([target, result, (cpu.api ?? 0) / Math.max(1, result.requests)]);
        } catch (error) {
          results.push([target, error as Error, 0]);
        }
      }
      const staticResult = results.find(([target]) => !target.explain)?.[1];
      for (const [target, result, cpuPerRequest] of results) {
        if (result instanceof Error) {
          rows.push([cache, target.name, errorCell(result), '', '', 1, '', '', '']);
          continue;
        }
        const base = staticResult instanceof Error ? undefined : staticResult;
        rows.push([
          cache,
          target.name,
          fixed(result.requestsPerSecond, 0),
          fixed(result.p50Ms, 0),
          fixed(result.p99Ms, 0),
          result.errors + result.non2xx,
          base ? percent(result.requestsPerSecond / base.requestsPerSecond) : 'n/a',
          base ? `${fixed(result.p99Ms / Math.max(1, base.p99Ms), 2)}×` : 'n/a',
          fixed(cpuPerRequest, 2),
        ]);
      }
      if (cache === 'on' && databaseUrl) plans.push(...(await explainAll(databaseUrl, targets)));
    } finally {
      await system.stop();
    }
  }
  return {
    title,
    header,
    rows,
    notes: [
      `Seeded with one SQL statement in ${fixed(seedSeconds, 0)} s: ready, processed sounds one second apart, ${SOUNDS_PER_UPLOADER} per uploader, titles of two words and a number ("${SEARCH} loop 4242"). Read cache off: READ_CACHE_TTL_MS=0, every request queries Postgres; on: the default 1 s. Static: GET /openapi.json on the same API process. API CPU ms/req = the API's user + system time during the run ÷ requests answered (Postgres, the load generator and the API share the 2 cores).`,
      ...(plans.length > 0
        ? [
            `Plans (EXPLAIN (ANALYZE, BUFFERS), after the load, warm):\n\n\`\`\`\n${plans.join('\n\n')}\n\`\`\``,
          ]
        : []),
    ],
  };
}

/** The four reads and the static reply, with the concrete URLs this catalogue gives. */
async function chooseTargets(api: string, limit: number): Promise<Target[]> {
  const first = await getJson<{ items: Array<{ userId: number }>; nextCursor: string | null }>(
    `${api}/sounds?limit=${limit}`,
  );
  const userId = first.items[0]?.userId ?? 1;
  // Page 200 of a cursor walk: the cursor the 199th page hands out (or the last there is).
  // (A small catalogue, as in smoke runs, ends sooner: its last page then.)
  let cursor = first.nextCursor;
  let page = cursor ? 2 : 1;
  while (page < DEEP_PAGE && cursor) {
    const next = await getJson<{ nextCursor: string | null }>(
      `${api}/sounds?limit=${limit}&cursor=${encodeURIComponent(cursor)}`,
    );
    if (!next.nextCursor) break;
    cursor = next.nextCursor;
    page += 1;
  }
  const columns =
    'id, user_id, title, filename, content_type, size, duration_ms, created_at, processing, processing_error';
  const newest = `order by created_at desc, id desc limit ${limit + 1}`;
  return [
    {
      name: `first page: /sounds?limit=${limit}`,
      path: `/sounds?limit=${limit}`,
      explain: (sql) =>
        explain(sql, `select ${columns} from sounds where status = 'ready' ${newest}`),
    },
    {
      name: "one uploader's page: ?userId=",
      path: `/sounds?limit=${limit}&userId=${userId}`,
      explain: (sql) =>
        explain(
          sql,
          `select ${columns} from sounds where status = 'ready' and user_id = ${userId} ${newest}`,
        ),
    },
    {
      name: `page ${page} of a cursor walk`,
      path: `/sounds?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      explain: async (sql) => {
        const [last] = await sql`
          select created_at, id from sounds where status = 'ready'
          order by created_at desc, id desc offset ${Math.max(0, (page - 1) * limit - 1)} limit 1`;
        return explain(
          sql,
          `select ${columns} from sounds where status = 'ready' and (created_at, id) < ('${(last?.created_at as Date | undefined)?.toISOString()}'::timestamptz, '${last?.id}'::uuid) ${newest}`,
        );
      },
    },
    {
      name: `search: ?q=${SEARCH}`,
      path: `/sounds?limit=${limit}&q=${SEARCH}`,
      explain: (sql) =>
        explain(
          sql,
          `select ${columns} from sounds where status = 'ready' and search_vector @@ to_tsquery('simple', '${SEARCH}:*') ${newest}`,
        ),
    },
    { name: 'static: /openapi.json', path: '/openapi.json' },
  ];
}

async function explainAll(databaseUrl: string, targets: Target[]): Promise<string[]> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const plans: string[] = [];
    for (const target of targets) {
      if (target.explain) plans.push(`-- ${target.name}\n${await target.explain(sql)}`);
    }
    return plans;
  } finally {
    await sql.end();
  }
}

async function explain(sql: postgres.Sql, statement: string): Promise<string> {
  const lines = await sql.unsafe(`explain (analyze, buffers, costs off) ${statement}`);
  return lines.map((line) => String(line['QUERY PLAN'])).join('\n');
}
