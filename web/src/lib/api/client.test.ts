import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { API, apiError } from '../../testing/fixtures.ts';
import { setupMockApi } from '../../testing/msw.ts';
import { api, unwrap, userHeaders } from './client.ts';
import { ApiError, NETWORK_ERROR } from './errors.ts';

const server = setupMockApi();

describe('unwrap', () => {
  it('resolves with the data of a success', async () => {
    server.use(http.get(`${API}/me`, () => HttpResponse.json({ id: 7 })));
    await expect(unwrap(api.GET('/me', { headers: userHeaders(7) }))).resolves.toEqual({ id: 7 });
  });

  it('resolves an empty 204', async () => {
    server.use(http.delete(`${API}/sounds/:id`, () => new HttpResponse(null, { status: 204 })));
    await expect(
      unwrap(api.DELETE('/sounds/{id}', { params: { path: { id: 'x' } } })),
    ).resolves.toBeUndefined();
  });

  it('rejects with an ApiError carrying the status and the API code', async () => {
    server.use(
      http.delete(`${API}/sounds/:id`, () =>
        HttpResponse.json(
          apiError(403, 'NOT_OWNER', 'Only the uploader may change or delete this sound'),
          {
            status: 403,
          },
        ),
      ),
    );
    const error = await unwrap(api.DELETE('/sounds/{id}', { params: { path: { id: 'x' } } })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 403,
      code: 'NOT_OWNER',
      message: 'Only the uploader may change or delete this sound',
    });
  });

  it('names replies that are not the API’s own errors by their status', async () => {
    server.use(http.get(`${API}/sounds`, () => new HttpResponse('Bad gateway', { status: 502 })));
    await expect(unwrap(api.GET('/sounds'))).rejects.toMatchObject({
      status: 502,
      code: 'HTTP_502',
    });
  });

  it('rejects with a network ApiError when no reply comes', async () => {
    server.use(http.get(`${API}/sounds`, () => HttpResponse.error()));
    await expect(unwrap(api.GET('/sounds'))).rejects.toMatchObject({
      status: 0,
      code: NETWORK_ERROR,
    });
  });

  it('passes a cancellation through untouched', async () => {
    server.use(http.get(`${API}/sounds`, () => new Promise<never>(() => {})));
    const controller = new AbortController();
    const pending = unwrap(api.GET('/sounds', { signal: controller.signal }));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});
