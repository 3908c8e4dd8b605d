import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

describe('loadConfig', () => {
  it('uses the defaults', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(8090);
    expect(config.HOST).toBe('localhost');
    expect(config.DATA_DIR).toMatch(/data[/\\]user-api$/);
  });

  it('reads values from the environment', () => {
    expect(loadConfig({ PORT: '8080', DATA_DIR: '/data' })).toMatchObject({
      PORT: 8080,
      DATA_DIR: '/data',
    });
  });

  it.each(['abc', '70000', '-1'])('throws naming PORT when it is %s', (PORT) => {
    expect(() => loadConfig({ PORT })).toThrow(/PORT/);
  });
});
