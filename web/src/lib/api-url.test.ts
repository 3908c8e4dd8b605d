import { describe, expect, it } from 'vitest';
import { apiBaseUrl, DEFAULT_API_URL } from './api-url.ts';

describe('apiBaseUrl', () => {
  it('uses VITE_API_URL when it is set', () => {
    expect(apiBaseUrl({ VITE_API_URL: 'https://api.example.test' })).toBe(
      'https://api.example.test',
    );
  });

  it('drops trailing slashes so paths can be appended', () => {
    expect(apiBaseUrl({ VITE_API_URL: 'http://localhost:9000//' })).toBe('http://localhost:9000');
  });

  it('falls back to the local API when VITE_API_URL is unset or blank', () => {
    expect(DEFAULT_API_URL).toBe('http://localhost:8080');
    expect(apiBaseUrl({})).toBe(DEFAULT_API_URL);
    expect(apiBaseUrl({ VITE_API_URL: '  ' })).toBe(DEFAULT_API_URL);
  });
});
