import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

describe('loadConfig', () => {
  it('has a working default for every setting', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 8080,
      USER_API_URL: 'http://localhost:8090',
      FILE_STORE_URL: 'http://localhost:8081',
      PUBLIC_URL: 'http://localhost:8080',
      MAX_UPLOAD_BYTES: 100 * 1024 * 1024,
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.CORS_ORIGINS).toContain('http://localhost');
  });

  it('reads a comma-separated CORS_ORIGINS', () => {
    expect(loadConfig({ CORS_ORIGINS: 'http://a.test, http://b.test' }).CORS_ORIGINS).toEqual([
      'http://a.test',
      'http://b.test',
    ]);
  });

  it('trusts no proxy by default, and reads TRUST_PROXY as a comma-separated list', () => {
    expect(loadConfig({}).TRUST_PROXY).toEqual([]);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::1' }).TRUST_PROXY).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::1',
    ]);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://db/x'],
    ['USER_API_URL', 'user_api:8080'],
    ['FILE_STORE_URL', 'ftp://files'],
    ['MAX_UPLOAD_BYTES', '0'],
    ['LOG_LEVEL', 'loud'],
    ['CORS_ORIGINS', 'not a url'],
    ['TRUST_PROXY', 'gateway'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', '10.0.0.1/8/8'],
    ['TRUST_PROXY', 'true'],
  ])('stops with a message naming %s for %j', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('ignores the process environment when given its own', () => {
    process.env.PORT = 'not-a-port';
    try {
      expect(loadConfig({}).PORT).toBe(8080);
    } finally {
      delete process.env.PORT;
    }
  });
});

describe('.env.example', () => {
  it('lists every setting of the API, and nothing it does not read', () => {
    const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const section = text.slice(
      text.indexOf('# --- Cloud Sound API'),
      text.indexOf('# --- user_api'),
    );
    // `NAME=value`, or `# NAME=value` for one that is unset by default.
    const listed = [...section.matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]);
    // The optional settings given, so that they are keys too.
    const known = Object.keys(
      loadConfig({ DATABASE_URL: 'postgres://x/y', REDIS_URL: 'redis://x:6379' }),
    );
    expect(new Set(listed)).toEqual(new Set(known));
  });
});
