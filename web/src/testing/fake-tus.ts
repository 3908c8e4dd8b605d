import { HttpResponse, http } from 'msw';
import type { SetupServer } from 'msw/node';
import type { Sound } from '../lib/api/client.ts';
import { API, apiError, makeSound, soundList } from './fixtures.ts';

/** One upload the fake tus endpoint holds. */
export interface FakeTusUpload {
  id: string;
  userId: string | null;
  length: number;
  offset: number;
  /** `Upload-Metadata`, decoded. */
  metadata: Record<string, string>;
}

/** A request the fake endpoint was sent: the method, the upload's id, and its offset for PATCH. */
export interface FakeTusRequest {
  method: string;
  id?: string;
  offset?: number;
  userId: string | null;
}

/** What the last byte of an upload becomes: a sound's id, or the API's refusal (JSON, status). */
export type Completion = { soundId: string } | { status: number; body: unknown };

/**
 * The API's tus 1.0 endpoint (`/uploads`) in memory, for MSW: creation, HEAD, PATCH (the final
 * one answers `Sound-Id`, or the refusal `complete` returns), DELETE; an upload is only found by
 * its owner's `X-User-Id`. Tests can hold PATCHes to look at an upload midway, and drop
 * requests as a lost connection does.
 */
export function fakeTusServer({
  complete,
  refuseCreation = () => null,
}: {
  complete: (upload: FakeTusUpload) => Completion;
  /** The API's refusal of a new upload (too large, too many unfinished), or null. */
  refuseCreation?: (upload: FakeTusUpload) => { status: number; body: unknown } | null;
}) {
  const uploads = new Map<string, FakeTusUpload>();
  const requests: FakeTusRequest[] = [];
  let counter = 0;
  let held: { from: number; gate: Promise<void>; open: () => void } | null = null;
  let offline = false;
  let failures: { status: number; count: number } | null = null;

  const tusHeaders = (extra: Record<string, string> = {}) => ({
    'Tus-Resumable': '1.0.0',
    'Cache-Control': 'no-store',
    ...extra,
  });
  const find = (request: Request, id: string) => {
    const upload = uploads.get(id);
    return upload && upload.userId === request.headers.get('X-User-Id') ? upload : undefined;
  };
  const notFound = (id: string) =>
    HttpResponse.json(
      {
        statusCode: 404,
        error: 'Not Found',
        message: `You have no upload with id ${id}`,
        code: 'UPLOAD_NOT_FOUND',
      },
      { status: 404, headers: tusHeaders() },
    );
  const log = (request: Request, method: string, id?: string, offset?: number) =>
    requests.push({ method, id, offset, userId: request.headers.get('X-User-Id') });

  function release() {
    held?.open();
    held = null;
  }

  const handlers = [
    http.options(`${API}/uploads`, () =>
      offline
        ? HttpResponse.error()
        : new HttpResponse(null, {
            status: 204,
            headers: {
              'Tus-Version': '1.0.0',
              'Tus-Extension': 'creation,creation-with-upload,termination,expiration',
              'Tus-Max-Size': String(4 * 1024 ** 3),
            },
          }),
    ),
    http.post(`${API}/uploads`, ({ request }) => {
      if (offline) return HttpResponse.error();
      log(request, 'POST');
      counter += 1;
      const id = `upload-${counter}`;
      const upload: FakeTusUpload = {
        id,
        userId: request.headers.get('X-User-Id'),
        length: Number(request.headers.get('Upload-Length')),
        offset: 0,
        metadata: decodeMetadata(request.headers.get('Upload-Metadata') ?? ''),
      };
      const refusal = refuseCreation(upload);
      if (refusal) {
        return HttpResponse.json(refusal.body as Record<string, unknown>, {
          status: refusal.status,
          headers: tusHeaders(),
        });
      }
      uploads.set(id, upload);
      return new HttpResponse(null, {
        status: 201,
        headers: tusHeaders({ Location: `${API}/uploads/${id}` }),
      });
    }),
    http.head(`${API}/uploads/:id`, ({ request, params }) => {
      if (offline) return HttpResponse.error();
      const id = String(params.id);
      log(request, 'HEAD', id);
      const upload = find(request, id);
      if (!upload) return new HttpResponse(null, { status: 404, headers: tusHeaders() });
      return new HttpResponse(null, {
        status: 200,
        headers: tusHeaders({
          'Upload-Offset': String(upload.offset),
          'Upload-Length': String(upload.length),
        }),
      });
    }),
    http.patch(`${API}/uploads/:id`, async ({ request, params }) => {
      if (offline) return HttpResponse.error();
      const id = String(params.id);
      const offset = Number(request.headers.get('Upload-Offset'));
      log(request, 'PATCH', id, offset);
      const upload = find(request, id);
      if (!upload) return notFound(id);
      const body = await request.arrayBuffer();
      if (failures && failures.count > 0) {
        failures.count -= 1;
        return HttpResponse.json(
          {
            statusCode: failures.status,
            error: 'Error',
            message: 'down',
            code: 'STORAGE_UNAVAILABLE',
          },
          { status: failures.status, headers: tusHeaders() },
        );
      }
      if (held && offset >= held.from) {
        const aborted = new Promise<void>((resolve) =>
          request.signal.addEventListener('abort', () => resolve()),
        );
        const { gate } = held;
        await Promise.race([gate, aborted]);
        if (request.signal.aborted) return HttpResponse.error();
      }
      if (offline) return HttpResponse.error();
      if (offset !== upload.offset) {
        return HttpResponse.json(
          { statusCode: 409, error: 'Conflict', message: 'offset', code: 'UPLOAD_OFFSET_MISMATCH' },
          { status: 409, headers: tusHeaders() },
        );
      }
      upload.offset += body.byteLength;
      if (upload.offset < upload.length) {
        return new HttpResponse(null, {
          status: 204,
          headers: tusHeaders({ 'Upload-Offset': String(upload.offset) }),
        });
      }
      const outcome = complete(upload);
      uploads.delete(id);
      if ('soundId' in outcome) {
        return new HttpResponse(null, {
          status: 204,
          headers: tusHeaders({
            'Upload-Offset': String(upload.offset),
            'Sound-Id': outcome.soundId,
          }),
        });
      }
      return HttpResponse.json(outcome.body as Record<string, unknown>, {
        status: outcome.status,
        headers: tusHeaders(),
      });
    }),
    http.delete(`${API}/uploads/:id`, ({ request, params }) => {
      if (offline) return HttpResponse.error();
      const id = String(params.id);
      log(request, 'DELETE', id);
      if (!find(request, id)) return notFound(id);
      uploads.delete(id);
      return new HttpResponse(null, { status: 204, headers: tusHeaders() });
    }),
  ];

  return {
    handlers,
    uploads,
    requests,
    /**
     * PATCHes from offset `from` on wait (after their body has arrived, before it counts) until
     * `release`, or until the client gives up on them.
     */
    hold(from = 0) {
      let open = () => {};
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      held = { from, gate, open };
    },
    release,
    /** The next `count` PATCHes are answered `status` (a 5xx: the server in trouble). */
    failPatches(status: number, count: number) {
      failures = { status, count };
    },
    /** Every request fails as if the network were gone, the waiting PATCHes too. */
    setOffline(value: boolean) {
      offline = value;
      if (offline) release();
    },
  };
}

function decodeMetadata(header: string): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const pair of header.split(',')) {
    const [key, value = ''] = pair.trim().split(' ');
    if (!key) continue;
    const bytes = Uint8Array.from(atob(value), (char) => char.charCodeAt(0));
    metadata[key] = new TextDecoder().decode(bytes);
  }
  return metadata;
}

type Refusal = { status: number; body: unknown };

/**
 * The API with its tus endpoint on `server`: a finished upload becomes a sound of `userId`
 * (named by its title, or after its file) that `GET /sounds` lists and `GET /sounds/:id` finds,
 * unless `refuse` refuses it.
 */
export function serveTusApi(
  server: SetupServer,
  {
    userId,
    refuse = () => null,
    refuseCreation,
  }: {
    userId: number;
    refuse?: (upload: FakeTusUpload) => Refusal | null;
    refuseCreation?: (upload: FakeTusUpload) => Refusal | null;
  },
) {
  const sounds: Sound[] = [];
  const tus = fakeTusServer({
    complete: (upload) => {
      const refusal = refuse(upload);
      if (refusal) return refusal;
      const filename = upload.metadata.filename ?? 'unnamed';
      const sound = makeSound({
        title: upload.metadata.title ?? filename.replace(/\.[^.]+$/, ''),
        filename,
        userId,
      });
      sounds.unshift(sound);
      return { soundId: sound.id };
    },
    refuseCreation,
  });
  server.use(
    ...tus.handlers,
    http.get(`${API}/sounds`, () => HttpResponse.json(soundList([...sounds]))),
    http.get(`${API}/sounds/:id`, ({ params }) => {
      const sound = sounds.find((each) => each.id === params.id);
      return sound
        ? HttpResponse.json(sound)
        : HttpResponse.json(apiError(404, 'SOUND_NOT_FOUND'), { status: 404 });
    }),
  );
  return { tus, sounds };
}
