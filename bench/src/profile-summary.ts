// Summarises a V8 .cpuprofile (from `BENCH_CPU_PROF=<dir>`, i.e. `node --cpu-prof`): where the
// API's CPU time went, by package and by function, self time only.
// Run: node bench/src/profile-summary.ts <file.cpuprofile> [top N]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

// Piped into `head`, stdout closes early; that is no error.
process.stdout.on('error', () => process.exit(0));

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/src/profile-summary.ts <file.cpuprofile> [top N]\n');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));

const selfMs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
});
const totalMs = [...selfMs.values()].reduce((a, b) => a + b, 0);

/** node_modules/<package> or the project folder a script belongs to. */
function owner(url: string): string {
  if (!url) return '(native / V8)';
  const match = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1] as string;
  if (url.startsWith('node:')) return 'node: (core)';
  const project = /\/(server|backends\/[^/]+|web|scripts|bench)\/src\//.exec(url);
  return project ? `${project[1]} (ours)` : url;
}

const byOwner = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const [id, ms] of selfMs) {
  const node = byId.get(id);
  if (!node) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const who = functionName.startsWith('(') ? functionName : owner(url);
  byOwner.set(who, (byOwner.get(who) ?? 0) + ms);
  const key = `${functionName || '(anonymous)'}  ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
}

const print = (title: string, entries: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [name, ms] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(
      `${((100 * ms) / totalMs).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(7)} ms  ${name}\n`,
    );
  }
};
process.stdout.write(`${file}: ${(totalMs / 1000).toFixed(1)} s sampled\n`);
print('self time by package', byOwner);
print('self time by function', byFunction);
