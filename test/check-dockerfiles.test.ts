import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkDockerfiles,
  copySources,
  dockerfileInstructions,
  finalStage,
  isDockerIgnored,
  runsUnprivileged,
} from '../scripts/check-dockerfiles.ts';

const workspaces: string[] = [];

/** A throw-away build context: a compose file building `app/Dockerfile` plus the given files. */
function buildContext(dockerfile: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'check-dockerfiles-'));
  workspaces.push(dir);
  const all = {
    'docker-compose.yml':
      'services:\n  app:\n    build:\n      context: .\n      dockerfile: app/Dockerfile\n',
    'app/Dockerfile': dockerfile,
    ...files,
  };
  for (const [path, content] of Object.entries(all)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return join(dir, 'docker-compose.yml');
}

afterEach(() => {
  for (const dir of workspaces.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('check-dockerfiles', () => {
  it('accepts a Dockerfile whose sources all exist', () => {
    const compose = buildContext(
      'FROM node:24-slim AS deps\nCOPY package.json \\\n  app/src/ ./\nFROM node:24-slim\nCOPY --from=deps /app /app\nUSER node\n',
      { 'package.json': '{}', 'app/src/main.ts': '' },
    );
    expect(checkDockerfiles(compose)).toEqual([]);
  });

  it('names a COPY source that is missing', () => {
    const compose = buildContext(
      'FROM node:24-slim\nCOPY --chown=node:node app/src drizzle ./\nUSER node\n',
      {
        'app/src/main.ts': '',
      },
    );
    expect(checkDockerfiles(compose)).toEqual([
      expect.objectContaining({ service: 'app', message: expect.stringContaining('"drizzle"') }),
    ]);
  });

  it('names a source that .dockerignore keeps out of the context', () => {
    const compose = buildContext(
      'FROM node:24-slim\nADD ["app/node_modules/x", "/x"]\nUSER node\n',
      {
        '.dockerignore': '**/node_modules\n',
        'app/node_modules/x/index.js': '',
      },
    );
    expect(checkDockerfiles(compose)).toEqual([
      expect.objectContaining({ message: expect.stringContaining('excluded by .dockerignore') }),
    ]);
  });

  it('reports a Dockerfile the compose file names but that does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'check-dockerfiles-'));
    workspaces.push(dir);
    writeFileSync(join(dir, 'docker-compose.yml'), 'services:\n  app:\n    build: ./nowhere\n');
    expect(checkDockerfiles(join(dir, 'docker-compose.yml'))).toEqual([
      expect.objectContaining({ service: 'app', message: 'Dockerfile is missing' }),
    ]);
  });

  it('names an image that runs as root', () => {
    const compose = buildContext('FROM node:24-slim\nRUN true\n');
    expect(checkDockerfiles(compose)).toEqual([
      expect.objectContaining({ service: 'app', message: expect.stringContaining('as root') }),
    ]);
  });

  it('judges the user of the last stage: its own USER, its parent stage, or its base image', () => {
    const runs = (dockerfile: string) => runsUnprivileged(dockerfileInstructions(dockerfile));
    expect(runs('FROM node:24-slim\nUSER node\n')).toBe(true);
    expect(runs('FROM node:24-slim\nUSER 1000:1000\n')).toBe(true);
    expect(runs('FROM node:24-slim\n')).toBe(false);
    expect(runs('FROM node:24-slim\nUSER node\nRUN x\nUSER root\n')).toBe(false);
    expect(runs('FROM node:24-slim\nUSER 0:0\n')).toBe(false);
    // A USER in an earlier stage says nothing about the image that is shipped…
    expect(runs('FROM node:24-slim AS build\nUSER node\nFROM node:24-slim\n')).toBe(false);
    // …unless the last stage starts from that stage.
    expect(runs('FROM node:24-slim AS base\nUSER node\nFROM base\nRUN x\n')).toBe(true);
    expect(runs('FROM --platform=linux/amd64 nginxinc/nginx-unprivileged:alpine\n')).toBe(true);
    expect(runs('FROM nginx:alpine\n')).toBe(false);
    expect(finalStage(dockerfileInstructions('FROM a AS one\nUSER x\nFROM one AS two\n'))).toEqual({
      baseImage: 'a',
      user: 'x',
    });
  });

  it('parses instructions, flags and both argument forms', () => {
    expect(dockerfileInstructions('# c\nRUN a \\\n  # inside\n  b\ncopy x y\n')).toEqual([
      ['RUN', 'a    b'],
      ['COPY', 'x y'],
    ]);
    expect(copySources('--chown=node:node --link a b ./')).toEqual(['a', 'b']);
    expect(copySources('["a b", "c"]')).toEqual(['a b']);
    expect(copySources('--from=build /app/dist /usr/share/nginx/html')).toEqual([]);
    expect(copySources('https://example.test/x.tgz /x')).toEqual([]);
  });

  it('applies .dockerignore exclusions, folders and negations like Docker', () => {
    const patterns = ['**/node_modules', 'data', '*.md', '!README.md'];
    expect(isDockerIgnored('web/node_modules/react/index.js', patterns)).toBe(true);
    expect(isDockerIgnored('data/users.json', patterns)).toBe(true);
    expect(isDockerIgnored('server/src/data.ts', patterns)).toBe(false);
    expect(isDockerIgnored('NOTES.md', patterns)).toBe(true);
    expect(isDockerIgnored('README.md', patterns)).toBe(false);
  });
});
