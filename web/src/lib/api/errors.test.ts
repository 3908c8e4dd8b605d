import { describe, expect, it } from 'vitest';
import { ApiError, describeApiError } from './errors.ts';

describe('describeApiError', () => {
  it('asks to wait a little when the API rate-limits (429 RATE_LIMITED)', () => {
    const error = ApiError.fromResponse(429, {
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'Too many uploads from your address; try again in 1 minute',
      code: 'RATE_LIMITED',
    });
    expect(describeApiError(error)).toBe(
      'That was a lot of requests in a short time. Please wait a minute and try again.',
    );
  });

  it('says the library is down, not that something broke, when the database is (503 DATABASE_UNAVAILABLE)', () => {
    const error = ApiError.fromResponse(503, {
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'The database is unavailable; try again shortly',
      code: 'DATABASE_UNAVAILABLE',
    });
    expect(describeApiError(error)).toBe(
      'The sound library is down at the moment. Please try again in a little while.',
    );
  });
});
