import Fastify from 'fastify';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { errorBody, HttpError } from '../src/errors.ts';
import { serve } from '../src/serve.ts';
import { LogLevel, loadSettings, Port } from '../src/settings.ts';

const Schema = Type.Object({ PORT: Port(1234), LOG_LEVEL: LogLevel });

describe('loadSettings', () => {
  it('fills in the defaults and coerces the text it is given', () => {
    expect(loadSettings('demo', Schema, {})).toEqual({ PORT: 1234, LOG_LEVEL: 'info' });
    expect(loadSettings('demo', Schema, { PORT: '80' }).PORT).toBe(80);
  });

  it('names the program and the variable of a wrong value', () => {
    expect(() => loadSettings('demo', Schema, { PORT: 'eighty' })).toThrow(
      /^demo: invalid settings: .*PORT/,
    );
  });
});

describe('errors', () => {
  it('builds the one error shape, with the reason phrase of the status', () => {
    expect(errorBody(404, 'X', 'gone')).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'gone',
      code: 'X',
    });
    expect(new HttpError(409, 'TAKEN', 'taken')).toMatchObject({ statusCode: 409, code: 'TAKEN' });
  });
});

describe('serve', () => {
  it('listens, says it is ready with its URL, and answers', async () => {
    const lines: string[] = [];
    const app = Fastify({
      logger: { level: 'info', stream: { write: (line: string) => lines.push(line) } },
    });
    app.get('/health', async () => ({ status: 'ok' }));
    await serve(app, { name: 'demo', host: '127.0.0.1', port: 0, details: { extra: 1 } });
    const ready = lines.map((line) => JSON.parse(line)).find((line) => line.msg === 'demo ready');
    expect(ready).toMatchObject({
      extra: 1,
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:/),
    });
    expect((await fetch(`${ready.url}/health`)).status).toBe(200);
    await app.close();
  });
});
