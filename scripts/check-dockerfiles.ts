// Checks, without a Docker engine, that every Dockerfile the compose file builds can find
// what it copies (each COPY/ADD source must exist in the build context and must not be
// excluded by .dockerignore) and that its image runs as a user other than root.
// Run: `node scripts/check-dockerfiles.ts [docker-compose.yml]`.
import { existsSync, globSync, readFileSync } from 'node:fs';
import { dirname, matchesGlob, posix, relative, resolve } from 'node:path';
import { parse } from 'yaml';

export interface BuildProblem {
  service: string;
  dockerfile: string;
  message: string;
}

interface BuildSpec {
  service: string;
  context: string;
  dockerfile: string;
}

/** The `build:` of every service, with paths resolved against the compose file's folder. */
export function composeBuilds(composePath: string): BuildSpec[] {
  const compose = parse(readFileSync(composePath, 'utf8')) as {
    services?: Record<string, { build?: string | { context?: string; dockerfile?: string } }>;
  };
  const base = dirname(resolve(composePath));
  const builds: BuildSpec[] = [];
  for (const [service, definition] of Object.entries(compose.services ?? {})) {
    const build = definition.build;
    if (build === undefined) continue;
    const spec = typeof build === 'string' ? { context: build } : build;
    const context = resolve(base, spec.context ?? '.');
    builds.push({
      service,
      context,
      dockerfile: resolve(context, spec.dockerfile ?? 'Dockerfile'),
    });
  }
  return builds;
}

/** Dockerfile instructions as [keyword, rest], with comments dropped and continuations joined. */
export function dockerfileInstructions(text: string): Array<[string, string]> {
  const instructions: Array<[string, string]> = [];
  let pending = '';
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*#/.test(line)) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = (pending + line).trim();
    pending = '';
    const match = /^(\w+)\s+(.*)$/s.exec(whole);
    if (match?.[1] && match[2] !== undefined) instructions.push([match[1].toUpperCase(), match[2]]);
  }
  return instructions;
}

/** The source paths of a COPY/ADD that reads the build context (not `--from` another stage). */
export function copySources(args: string): string[] {
  let rest = args.trim();
  const flags: string[] = [];
  for (let flag = /^--\S+\s*/.exec(rest); flag; flag = /^--\S+\s*/.exec(rest)) {
    flags.push(flag[0].trim());
    rest = rest.slice(flag[0].length);
  }
  if (flags.some((flag) => flag.startsWith('--from='))) return [];
  const parts = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
  return parts.slice(0, -1).filter((source) => !/^(https?:\/\/|git@)/.test(source));
}

/** Whether .dockerignore keeps `path` (relative to the context) out of the build context. */
export function isDockerIgnored(path: string, patterns: string[]): boolean {
  const segments = posix.normalize(path).split('/');
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = posix.normalize((negated ? raw.slice(1) : raw).replace(/^\/+/, ''));
    // Excluding a folder excludes everything in it, so a match on any ancestor counts.
    for (let depth = 1; depth <= segments.length; depth++) {
      if (matchesGlob(segments.slice(0, depth).join('/'), pattern)) {
        ignored = !negated;
        break;
      }
    }
  }
  return ignored;
}

/** Base images whose own USER is unprivileged, so a final stage on them needs none. */
const UNPRIVILEGED_IMAGES = [/^(docker\.io\/)?(nginxinc|nginx)\/nginx-unprivileged([:@]|$)/];

/**
 * Who the image of the last stage runs as: its last USER, or the one of the earlier stage it
 * starts FROM; undefined when nothing sets one (the base image's, root for most images).
 */
export function finalStage(instructions: Array<[string, string]>): {
  baseImage: string;
  user: string | undefined;
} {
  const stages = new Map<string, { baseImage: string; user: string | undefined }>();
  let current = { baseImage: '', user: undefined as string | undefined };
  for (const [keyword, args] of instructions) {
    if (keyword === 'FROM') {
      const [image = '', , name] = args
        .replace(/--\S+\s*/g, '')
        .trim()
        .split(/\s+/);
      current = { ...(stages.get(image.toLowerCase()) ?? { baseImage: image, user: undefined }) };
      if (name) stages.set(name.toLowerCase(), current);
    } else if (keyword === 'USER') {
      current.user = args.trim();
    }
  }
  return current;
}

/** Whether the final stage runs as some user other than root. */
export function runsUnprivileged(instructions: Array<[string, string]>): boolean {
  const { baseImage, user } = finalStage(instructions);
  if (user === undefined) return UNPRIVILEGED_IMAGES.some((pattern) => pattern.test(baseImage));
  return !/^(root|0)(:|$)/.test(user);
}

function dockerignorePatterns(context: string): string[] {
  const file = resolve(context, '.dockerignore');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Every problem found in the Dockerfiles that `composePath` builds; empty when all is well. */
export function checkDockerfiles(composePath: string): BuildProblem[] {
  const problems: BuildProblem[] = [];
  for (const { service, context, dockerfile } of composeBuilds(composePath)) {
    const shownDockerfile = relative(process.cwd(), dockerfile);
    if (!existsSync(dockerfile)) {
      problems.push({ service, dockerfile: shownDockerfile, message: 'Dockerfile is missing' });
      continue;
    }
    const ignorePatterns = dockerignorePatterns(context);
    const instructions = dockerfileInstructions(readFileSync(dockerfile, 'utf8'));
    if (!runsUnprivileged(instructions)) {
      problems.push({
        service,
        dockerfile: shownDockerfile,
        message:
          'the image runs as root: give its last stage a USER other than root, or build it on an unprivileged base image',
      });
    }
    for (const [keyword, args] of instructions) {
      if (keyword !== 'COPY' && keyword !== 'ADD') continue;
      for (const source of copySources(args)) {
        const matches = /[*?[]/.test(source) ? globSync(source, { cwd: context }) : [source];
        if (matches.length === 0 || !matches.every((path) => existsSync(resolve(context, path)))) {
          problems.push({
            service,
            dockerfile: shownDockerfile,
            message: `${keyword} source "${source}" does not exist in the build context ${relative(process.cwd(), context) || '.'}`,
          });
        } else if (matches.some((path) => isDockerIgnored(path, ignorePatterns))) {
          problems.push({
            service,
            dockerfile: shownDockerfile,
            message: `${keyword} source "${source}" is excluded by .dockerignore`,
          });
        }
      }
    }
  }
  return problems;
}

if (import.meta.main) {
  const composePath = process.argv[2] ?? resolve(import.meta.dirname, '../docker-compose.yml');
  const problems = checkDockerfiles(composePath);
  for (const { service, dockerfile, message } of problems) {
    console.error(`${service} (${dockerfile}): ${message}`);
  }
  if (problems.length > 0) process.exit(1);
  console.log(
    `check-dockerfiles: every COPY/ADD source of ${composeBuilds(composePath).length} builds exists, and each image runs as a user other than root`,
  );
}
