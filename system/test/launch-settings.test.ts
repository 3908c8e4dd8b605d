import { describe, expect, it } from 'vitest';
import { readLaunchSettings } from '../src/cli/environment.ts';
import { logSink } from '../src/logs.ts';
import { SettingsError } from '../src/settings.ts';

describe('<PROGRAM>__<SETTING> (pnpm start, pnpm dev)', () => {
  it("sets each program's own setting by its own name", () => {
    const { settings } = readLaunchSettings({
      API__PORT: '9000',
      FILE_STORE__PORT: '8082',
      WEB__PORT: '3000',
      USER_API__DATA_DIR: '/srv/users',
      API__LOG_LEVEL: 'debug',
    });
    expect(settings).toEqual({
      api: { PORT: '9000', LOG_LEVEL: 'debug' },
      file_store: { PORT: '8082' },
      web: { PORT: '3000' },
      user_api: { DATA_DIR: '/srv/users' },
    });
  });

  it('takes LOG_LEVEL for every program that has one and DATABASE_URL for the API; the program’s own wins', () => {
    const { settings } = readLaunchSettings({
      LOG_LEVEL: 'warn',
      USER_API__LOG_LEVEL: 'debug',
      DATABASE_URL: 'postgres://db/cloud',
    });
    expect(settings).toEqual({
      api: { LOG_LEVEL: 'warn', DATABASE_URL: 'postgres://db/cloud' },
      file_store: { LOG_LEVEL: 'warn' },
      user_api: { LOG_LEVEL: 'debug' },
    });
  });

  it('leaves alone variables of no program, and empty ones', () => {
    const { settings } = readLaunchSettings({ Api__PORT: '1', NODE__OPTIONS: 'x', API__PORT: ' ' });
    expect(settings).toEqual({});
  });

  it('reads API_REPLICAS as a whole number, 1 when unset', () => {
    expect(readLaunchSettings({}).apiReplicas).toBe(1);
    expect(readLaunchSettings({ API_REPLICAS: '3' }).apiReplicas).toBe(3);
    expect(() => readLaunchSettings({ API_REPLICAS: 'three' })).toThrow(
      'API_REPLICAS is "three"; it must be a whole number',
    );
  });

  it('names the new variable for one the old launcher read', () => {
    expect(() => readLaunchSettings({ WEB_PORT: '3000' })).toThrow(SettingsError);
    expect(() => readLaunchSettings({ WEB_PORT: '3000' })).toThrow('use WEB__PORT');
  });
});

describe('the programs’ logs', () => {
  const line = '{"level":30,"time":0,"msg":"Cloud Sound API ready"}';

  it('pass through as JSON with the program named, when not shown to a person', () => {
    const written: string[] = [];
    const sink = logSink('json', (text) => written.push(text));
    sink?.('api', line);
    sink?.('api', 'Error: at main.ts:1');
    expect(JSON.parse(written[0] as string)).toEqual({
      program: 'api',
      level: 30,
      time: 0,
      msg: 'Cloud Sound API ready',
    });
    expect(written[1]).toBe('api        | Error: at main.ts:1\n');
  });

  it('are made readable and prefixed with the program, for a person', () => {
    const written: string[] = [];
    logSink('pretty', (text) => written.push(text))?.('file_store', line);
    expect(written[0]).toMatch(/^file_store \| .*INFO.*Cloud Sound API ready\n$/);
  });

  it('are only kept (not shown) for tests', () => {
    expect(logSink('none')).toBeUndefined();
  });
});
