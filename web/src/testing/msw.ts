import { type AnyHandler, HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { API, makeLimits } from './fixtures.ts';

/**
 * An MSW server for one test file: requests nobody answers fail the test, and handlers added by
 * a test (`server.use`) end with it. `GET /limits` is always answered (every form reads it).
 */
export function setupMockApi(...handlers: AnyHandler[]) {
  const server = setupServer(
    ...handlers,
    http.get(`${API}/limits`, () => HttpResponse.json(makeLimits())),
  );
  beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return server;
}
