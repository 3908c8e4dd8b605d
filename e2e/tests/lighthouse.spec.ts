import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.ts';
import { SCREENSHOT_DIR } from '../support/paths.ts';
import { expect, test } from '../support/test.ts';

// Lighthouse (its default phone emulation: a mid-range phone on a slow 4G network, simulated)
// against the production build as nginx serves it, with the sounds the journeys uploaded. Runs
// after the journeys (a project of its own that depends on them), alone on the machine.
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'] as const;
/**
 * Each category's minimum (median of RUNS). Performance is held to less than the others since
 * Debian's Chromium 156.0.8078.129 (2026-12-03): with it, the same build that scored 97–98 here
 * before scores 0.83–0.90 (an A/B on one machine and one API, 2026-12-07: the build of 9d7a468,
 * which passed here at 0.97–0.98, scored 0.83, 0.90, 0.90; this one 0.82, 0.89, 0.88), all of
 * it in Total Blocking Time (340–600 ms). The page did not change; how this browser's main thread is
 * measured did. A real regression (a heavier bundle, a long task of our own) still fails.
 */
const MINIMUM: Record<(typeof CATEGORIES)[number], number> = {
  performance: 0.8,
  accessibility: 0.95,
  'best-practices': 0.95,
  seo: 0.95,
};
/**
 * Total Blocking Time moves from run to run on a busy two-core machine (Lighthouse scales the
 * main-thread tasks it sees by its phone's slower CPU): each category's median of five runs.
 */
const RUNS = 5;

test.describe.configure({ timeout: 900_000 });

test('the home page scores at least 95 in accessibility, best practices and SEO, and 80 in performance, on a phone', async ({
  nginxUrl,
  apiUrl,
}, testInfo) => {
  // The journeys' last uploads are still being processed (ffmpeg, and the refetches their
  // events cause): the audit is of the page, not of the machine finishing that work.
  await processingDone(apiUrl);
  const chrome = await chromeLauncher.launch({
    chromePath: CHROMIUM_PATH,
    chromeFlags: CHROMIUM_ARGS,
  });
  const runs: Array<Record<(typeof CATEGORIES)[number], number>> = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      await quietMachine();
      const result = await audit(`${nginxUrl}/`, chrome.port);
      const { lhr } = result;
      const scores = Object.fromEntries(
        CATEGORIES.map((category) => [category, lhr.categories[category]?.score ?? 0]),
      ) as (typeof runs)[number];
      runs.push(scores);
      console.log(`[lighthouse] run ${run + 1}: ${JSON.stringify(scores)}`);
      // What fell short, so a failure says why.
      for (const category of CATEGORIES) {
        for (const ref of lhr.categories[category]?.auditRefs ?? []) {
          const audit = lhr.audits[ref.id];
          if (ref.weight > 0 && audit && audit.score !== null && audit.score < 1) {
            console.log(
              `[lighthouse]   ${category}: ${ref.id} ${audit.score} ${audit.displayValue ?? ''}`,
            );
          }
        }
      }
      const report = Array.isArray(result.report) ? result.report[0] : result.report;
      await writeFile(join(SCREENSHOT_DIR, `lighthouse-${run + 1}.json`), report ?? '');
      await testInfo.attach(`lighthouse-${run + 1}.json`, {
        body: report ?? '',
        contentType: 'application/json',
      });
    }
  } finally {
    chrome.kill();
  }

  const median = Object.fromEntries(
    CATEGORIES.map((category) => {
      const sorted = runs.map((scores) => scores[category]).sort((a, b) => a - b);
      return [category, sorted[Math.floor(sorted.length / 2)] ?? 0];
    }),
  );
  console.log(`[lighthouse] median of ${RUNS}: ${JSON.stringify(median)}`);
  for (const category of CATEGORIES) {
    expect(median[category], `${category} (median of ${RUNS} runs)`).toBeGreaterThanOrEqual(
      MINIMUM[category],
    );
  }
});

/** Tries this often when Lighthouse itself fails to record a run ("Please run Lighthouse again"). */
const ATTEMPTS = 3;

/** One Lighthouse run; a run Lighthouse could not record (e.g. NO_NAVSTART) is tried again. */
async function audit(url: string, port: number) {
  for (let attempt = 1; ; attempt++) {
    const result = await lighthouse(url, {
      port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: [...CATEGORIES],
    });
    if (!result) throw new Error('Lighthouse returned no result');
    const problem = result.lhr.runtimeError;
    if (!problem) return result;
    console.log(`[lighthouse] attempt ${attempt} not recorded: ${problem.code}`);
    if (attempt >= ATTEMPTS) throw new Error(`Lighthouse failed: ${problem.message}`);
  }
}

/** Waits (at most `maxWaitMs`) until no listed sound is waiting for processing. */
async function processingDone(apiUrl: string, maxWaitMs = 120_000): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  while (Date.now() < deadline) {
    const page = (await (await fetch(`${apiUrl}/sounds?limit=100`)).json()) as {
      items: Array<{ processing: string }>;
    };
    const pending = page.items.filter((sound) => sound.processing === 'pending').length;
    if (pending === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/**
 * Waits (a while, at most) until the machine is no longer busy with other work, such as the
 * journeys' browsers winding down or the system finishing their requests: Lighthouse scales the
 * main-thread time it observes by its phone's slower CPU, so a busy machine would be measured
 * rather than the page. Lighthouse's own advice is to run it on a quiet machine. Measured over
 * the last second from /proc/stat (the load average trails by a minute or more).
 */
async function quietMachine(maxWaitMs = 60_000): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  let busy = await busyShare(1_000);
  while (busy > QUIET_BUSY_SHARE && Date.now() < deadline) busy = await busyShare(1_000);
  console.log(
    `[lighthouse] CPU ${(busy * 100).toFixed(0)} % busy over the last second (load average ${loadavg()[0]?.toFixed(2)} on ${availableParallelism()} cores)`,
  );
}

/** How busy the machine may be (all cores together) when an audit starts. */
const QUIET_BUSY_SHARE = 0.15;

/** The share of the machine's CPU time that was busy over the next `ms`. */
async function busyShare(ms: number): Promise<number> {
  const before = machineTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = machineTicks();
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : 0;
}

/** The machine's CPU time so far, busy and in all, in clock ticks summed over the cores. */
function machineTicks(): { busy: number; total: number } {
  const [, ...fields] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/);
  const ticks = fields.map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  // idle and iowait
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}
