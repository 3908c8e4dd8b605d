import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

describe('loadConfig', () => {
  it('has working local defaults', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(8081);
    expect(config.HOST).toBe('localhost');
    expect(config.DATA_DIR).toMatch(/\/data\/file-store$/);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.MAX_FILE_BYTES).toBe(10 * 1024 ** 3);
  });

  it('reads the environment', () => {
    const config = loadConfig({ PORT: '18081', DATA_DIR: '/tmp/fs', MAX_FILE_BYTES: '1000' });
    expect(config).toMatchObject({ PORT: 18081, DATA_DIR: '/tmp/fs', MAX_FILE_BYTES: 1000 });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['LOG_LEVEL', 'loud'],
    ['MAX_FILE_BYTES', '0'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(
      new RegExp(`^file_store: invalid settings: .*${name}`),
    );
  });
});
