import { createEvent, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { serveTusApi } from '../../../testing/fake-tus.ts';
import {
  API,
  apiError,
  makeLimits,
  makeMe,
  makeSound,
  readMultipart,
  soundList,
} from '../../../testing/fixtures.ts';
import { setupMockApi } from '../../../testing/msw.ts';
import { renderWithProviders } from '../../../testing/render.tsx';
import { sendWaitingDeletes } from '../../sounds/api/delete-sound.ts';
import { SoundsSection } from '../../sounds/components/sounds-section.tsx';
import { CHUNK_SIZE, forgetEndpointCheck } from '../api/resumable-upload.ts';
import { UploadForm } from './upload-form.tsx';

const ME = 5;
const server = setupMockApi(
  http.get(`${API}/me`, () => HttpResponse.json(makeMe(ME))),
  http.get(`${API}/sounds`, () => HttpResponse.json(soundList([]))),
  // New sounds are processing; their polls find nothing here.
  http.get(`${API}/sounds/:id`, () =>
    HttpResponse.json(apiError(404, 'SOUND_NOT_FOUND'), { status: 404 }),
  ),
);

// Whether the API has `/uploads` is asked once per page; every test is a new API.
afterEach(() => forgetEndpointCheck());

function audioFile(name: string, size = 2048) {
  return new File([new Uint8Array(size)], name, { type: 'audio/wav' });
}

function renderUpload() {
  return renderWithProviders(<UploadForm userId={ME} />, { userId: ME });
}

function uploadRow(fileName: string) {
  const list = screen.getByRole('list', { name: 'Uploads' });
  const progress = within(list).getByLabelText(fileName);
  const row = progress.closest('li');
  if (!row) throw new Error(`no upload row for ${fileName}`);
  return row;
}

/** The API with its tus endpoint, publishing what is uploaded as this user's sounds. */
const serveTus = (options: Omit<Parameters<typeof serveTusApi>[1], 'userId'> = {}) =>
  serveTusApi(server, { userId: ME, ...options });

/** The API before resumable uploads: no `/uploads` (404, or 405 for its POST only). */
function withoutTus(status: 404 | 405 = 404) {
  server.use(
    http.options(`${API}/uploads`, () =>
      status === 404
        ? HttpResponse.json(apiError(404, 'NOT_FOUND'), { status: 404 })
        : new HttpResponse(null, { status: 204 }),
    ),
    http.post(`${API}/uploads`, () => HttpResponse.json(apiError(status, 'NOT_FOUND'), { status })),
  );
}

/** tus-js-client's entries in localStorage: unfinished uploads it would offer to resume. */
function storedUploads() {
  return Object.keys(localStorage).filter((key) => key.startsWith('tus::'));
}

describe('uploading', () => {
  it('sends each file with the title, shows its progress bar, and refreshes the sound list', async () => {
    const { tus } = serveTus();
    // Both on one page, as in the app: the list must show the new sound without a reload.
    const { user } = renderWithProviders(
      <>
        <UploadForm userId={ME} />
        <SoundsSection userId={null} title="All sounds" level={2} />
      </>,
      { userId: ME },
    );
    expect(await screen.findByText(/No sounds yet/)).toBeInTheDocument();

    await user.upload(screen.getByLabelText('Audio files'), audioFile('tone.wav'));
    await user.type(screen.getByLabelText('Title (optional)'), 'Low hum');
    await user.click(screen.getByRole('button', { name: 'Upload' }));

    const progress = screen.getByRole('progressbar', { name: 'tone.wav' });
    expect(progress.tagName).toBe('PROGRESS');
    await waitFor(() =>
      expect(progress).toHaveAttribute('aria-valuetext', 'Uploaded as “Low hum”'),
    );
    expect(progress).toHaveValue(100);
    expect(
      screen
        .getAllByRole('status')
        .some((status) => status.textContent?.includes('tone.wav uploaded as “Low hum”.')),
    ).toBe(true);
    // A resumable upload, by its owner, with the file's name and the title as its metadata.
    expect(tus.requests.map(({ method, userId }) => [method, userId])).toEqual([
      ['POST', String(ME)],
      ['PATCH', String(ME)],
    ]);
    expect(tus.uploads.size).toBe(0);
    expect(await screen.findByRole('article', { name: 'Low hum' })).toBeInTheDocument();
    // Finished: nothing is left to resume, and the form is ready for the next files.
    expect(storedUploads()).toEqual([]);
    expect(screen.getByLabelText('Title (optional)')).toHaveValue('');
  });

  it('sends the file name and the title as the upload’s metadata', async () => {
    const created: Record<string, string>[] = [];
    serveTus({
      refuseCreation: (upload) => {
        created.push(upload.metadata);
        return null;
      },
    });
    const { user } = renderUpload();
    await user.upload(screen.getByLabelText('Audio files'), audioFile('tone.wav'));
    await user.type(screen.getByLabelText('Title (optional)'), '  Low hum ');
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    await waitFor(() =>
      expect(within(uploadRow('tone.wav')).getByText('Uploaded as “Low hum”')).toBeInTheDocument(),
    );
    await user.upload(screen.getByLabelText('Audio files'), audioFile('bare.wav'));
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    await waitFor(() =>
      expect(within(uploadRow('bare.wav')).getByText('Uploaded as “bare”')).toBeInTheDocument(),
    );
    expect(created).toEqual([{ filename: 'tone.wav', title: 'Low hum' }, { filename: 'bare.wav' }]);
  });

  it('uploads several files at once, each with its own progress bar', async () => {
    serveTus();
    const { user } = renderUpload();
    await user.upload(screen.getByLabelText('Audio files'), [
      audioFile('a.wav'),
      audioFile('b.wav'),
    ]);
    await user.click(screen.getByRole('button', { name: 'Upload' }));

    expect(screen.getByRole('progressbar', { name: 'a.wav' })).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'b.wav' })).toBeInTheDocument();
    await waitFor(() =>
      expect(within(uploadRow('a.wav')).getByText('Uploaded as “a”')).toBeInTheDocument(),
    );
    await waitFor(() =>
      expect(within(uploadRow('b.wav')).getByText('Uploaded as “b”')).toBeInTheDocument(),
    );

    await user.click(screen.getByRole('button', { name: 'Clear finished' }));
    expect(screen.queryByRole('list', { name: 'Uploads' })).not.toBeInTheDocument();
  });

  it('asks for a file when none is chosen', async () => {
    const { user } = renderUpload();
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    expect(screen.getByRole('alert')).toHaveTextContent(
      'Choose at least one audio file to upload.',
    );
    expect(screen.queryByRole('list', { name: 'Uploads' })).not.toBeInTheDocument();
  });
});

describe('resumable uploads', () => {
  /** Two chunks and a bit: the progress can be seen between PATCHes. */
  const big = () => audioFile('big.wav', 2 * CHUNK_SIZE + 1024);

  async function startBig(user: ReturnType<typeof renderUpload>['user']) {
    await user.upload(screen.getByLabelText('Audio files'), big());
    await user.click(screen.getByRole('button', { name: 'Upload' }));
  }

  const patches = (tus: ReturnType<typeof serveTus>['tus']) =>
    tus.requests.filter((request) => request.method === 'PATCH').map(({ offset }) => offset);

  it('sends the file in chunks of 8 MiB and shows how much the server has', async () => {
    const { tus } = serveTus();
    tus.hold(CHUNK_SIZE);
    const { user } = renderUpload();
    await startBig(user);

    const progress = screen.getByRole('progressbar', { name: 'big.wav' });
    await waitFor(() => expect(progress).toHaveAttribute('aria-valuetext', '50% sent'));
    expect(progress).toHaveValue(50);
    expect(patches(tus)).toEqual([0, CHUNK_SIZE]);
    tus.release();
    await waitFor(() => expect(progress).toHaveAttribute('aria-valuetext', 'Uploaded as “big”'));
    expect(patches(tus)).toEqual([0, CHUNK_SIZE, 2 * CHUNK_SIZE]);
  });

  it('pauses and resumes from where the server is, with buttons named after the file', async () => {
    const { tus } = serveTus();
    tus.hold(CHUNK_SIZE);
    const { user } = renderUpload();
    await startBig(user);
    const progress = screen.getByRole('progressbar', { name: 'big.wav' });
    await waitFor(() => expect(progress).toHaveAttribute('aria-valuetext', '50% sent'));

    await user.click(screen.getByRole('button', { name: 'Pause upload of big.wav' }));
    expect(progress).toHaveAttribute('aria-valuetext', 'Paused at 50%');
    expect(screen.queryByRole('button', { name: 'Pause upload of big.wav' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Cancel upload of big.wav' })).toBeInTheDocument();
    tus.release();
    // Nothing more is sent while it is paused.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(patches(tus)).toEqual([0, CHUNK_SIZE]);
    expect(tus.uploads.get('upload-1')?.offset).toBe(CHUNK_SIZE);

    await user.click(screen.getByRole('button', { name: 'Resume upload of big.wav' }));
    await waitFor(() => expect(progress).toHaveAttribute('aria-valuetext', 'Uploaded as “big”'));
    // Asked the server where it was, and went on from there.
    const after = tus.requests.slice(3).map(({ method, offset }) => [method, offset]);
    expect(after).toEqual([
      ['HEAD', undefined],
      ['PATCH', CHUNK_SIZE],
      ['PATCH', 2 * CHUNK_SIZE],
    ]);
    expect(
      screen
        .getAllByRole('status')
        .some((status) => status.textContent === 'big.wav uploaded as “big”.'),
    ).toBe(true);
  });

  it('cancels with its own button: the upload is terminated on the server and forgotten', async () => {
    const { tus } = serveTus();
    tus.hold(CHUNK_SIZE);
    const { user } = renderUpload();
    await startBig(user);
    await waitFor(() => expect(patches(tus)).toEqual([0, CHUNK_SIZE]));
    expect(storedUploads()).toHaveLength(1);

    await user.click(screen.getByRole('button', { name: 'Cancel upload of big.wav' }));
    expect(within(uploadRow('big.wav')).getByText('Cancelled')).toBeInTheDocument();
    await waitFor(() =>
      expect(tus.requests.at(-1)).toEqual({
        method: 'DELETE',
        id: 'upload-1',
        offset: undefined,
        userId: String(ME),
      }),
    );
    expect(tus.uploads.size).toBe(0);
    await waitFor(() => expect(storedUploads()).toEqual([]));
    expect(screen.queryByRole('button', { name: /upload of big\.wav/ })).toBeNull();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('says the connection was lost, retries, and completes once it is back', async () => {
    const { tus } = serveTus();
    tus.hold(CHUNK_SIZE);
    const { user } = renderUpload();
    await startBig(user);
    const progress = screen.getByRole('progressbar', { name: 'big.wav' });
    await waitFor(() => expect(progress).toHaveAttribute('aria-valuetext', '50% sent'));

    // The browser knows it is offline: tus-js-client's own rule would give up at once.
    const onLine = vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false);
    tus.setOffline(true);
    await waitFor(() =>
      expect(progress).toHaveAttribute('aria-valuetext', 'Connection lost, retrying…'),
    );
    expect(within(uploadRow('big.wav')).getByText('Connection lost, retrying…')).toBeVisible();
    expect(
      screen
        .getAllByRole('status')
        .some((status) => status.textContent === 'big.wav: connection lost, retrying…'),
    ).toBe(true);
    // Still pausable and cancellable meanwhile; no error.
    expect(screen.getByRole('button', { name: 'Pause upload of big.wav' })).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();

    tus.setOffline(false);
    onLine.mockRestore();
    // The next try comes within a second or three (tus-js-client's delays).
    await waitFor(() => expect(progress).toHaveAttribute('aria-valuetext', 'Uploaded as “big”'), {
      timeout: 8000,
    });
    // It went on from the server's offset, not from the start.
    expect(patches(tus).filter((offset) => offset === 0)).toHaveLength(1);
    expect(tus.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
  }, 15_000);

  it('says the server had a problem while it retries a 5xx, and completes', async () => {
    const { tus } = serveTus();
    tus.hold(CHUNK_SIZE);
    const { user } = renderUpload();
    await startBig(user);
    const progress = screen.getByRole('progressbar', { name: 'big.wav' });
    await waitFor(() => expect(progress).toHaveAttribute('aria-valuetext', '50% sent'));

    tus.failPatches(503, 2);
    tus.release();
    await waitFor(() =>
      expect(progress).toHaveAttribute('aria-valuetext', 'The server had a problem, retrying…'),
    );
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    await waitFor(() => expect(progress).toHaveAttribute('aria-valuetext', 'Uploaded as “big”'), {
      timeout: 5000,
    });
    expect(tus.requests.filter(({ method }) => method === 'POST')).toHaveLength(1);
  }, 10_000);

  it.each([
    [
      415,
      apiError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'The file is not audio Cloud Sound can play: a PNG image.',
      ),
      '“big.wav” was not uploaded. The file is not audio Cloud Sound can play: a PNG image.',
    ],
    [
      422,
      apiError(
        422,
        'AUDIO_TOO_LONG',
        'The sound lasts 3 hours 20 minutes; at most 3 hours are accepted',
      ),
      '“big.wav” was not uploaded. The sound lasts 3 hours 20 minutes; at most 3 hours are accepted',
    ],
    [
      413,
      apiError(
        413,
        'UPLOAD_OVER_QUOTA',
        'Your sounds would take 2200000000 of your 2147483648 bytes',
      ),
      '“big.wav” was not uploaded. Your sounds would take 2200000000 of your 2147483648 bytes. Delete some of your sounds to make room for it.',
    ],
  ])('shows the API’s refusal of the finished file (%i)', async (status, body, message) => {
    const { tus } = serveTus({ refuse: () => ({ status, body }) });
    const { user } = renderUpload();
    await startBig(user);

    expect(await within(uploadRow('big.wav')).findByRole('alert')).toHaveTextContent(message);
    expect(within(uploadRow('big.wav')).getByText('Failed')).toBeInTheDocument();
    // Refused for good: not retried, and forgotten at once (the server was not asked about it
    // again, as an unfinished upload would have been).
    expect(storedUploads()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(tus.requests.map(({ method }) => method)).toEqual(['POST', 'PATCH', 'PATCH', 'PATCH']);
  });

  it.each([
    [
      429,
      apiError(
        429,
        'TOO_MANY_UNFINISHED_UPLOADS',
        'You have 10 unfinished uploads (at most 10): finish or cancel one first',
      ),
      '“big.wav” was not uploaded. You have 10 unfinished uploads (at most 10): finish or cancel one first.',
    ],
    [
      413,
      apiError(413, 'UPLOAD_TOO_LARGE', 'The upload is larger than the limit of 4294967296 bytes'),
      '“big.wav” is too large. The upload is larger than the limit of 4294967296 bytes.',
    ],
  ])('shows the API’s refusal of a new upload (%i)', async (status, body, message) => {
    const { tus } = serveTus({ refuseCreation: () => ({ status, body }) });
    const { user } = renderUpload();
    await startBig(user);
    expect(await within(uploadRow('big.wav')).findByRole('alert')).toHaveTextContent(message);
    expect(tus.requests.map(({ method }) => method)).toEqual(['POST']);
  });
});

describe('an API without resumable uploads', () => {
  it.each([404, 405] as const)(
    'gets the file with POST /sounds instead (its /uploads answers %i)',
    async (status) => {
      withoutTus(status);
      const received: { title?: string; file?: string; userId: string | null }[] = [];
      server.use(
        http.post(`${API}/sounds`, async ({ request }) => {
          const { fields, files } = await readMultipart(request);
          received.push({
            title: fields.title,
            file: files.file,
            userId: request.headers.get('X-User-Id'),
          });
          return HttpResponse.json(makeSound({ title: fields.title, userId: ME }), { status: 201 });
        }),
      );
      const { user } = renderUpload();
      await user.upload(screen.getByLabelText('Audio files'), audioFile('tone.wav'));
      await user.type(screen.getByLabelText('Title (optional)'), 'Low hum');
      await user.click(screen.getByRole('button', { name: 'Upload' }));

      await waitFor(() =>
        expect(
          within(uploadRow('tone.wav')).getByText('Uploaded as “Low hum”'),
        ).toBeInTheDocument(),
      );
      expect(received).toEqual([{ title: 'Low hum', file: 'tone.wav', userId: String(ME) }]);
      // A multipart upload cannot be paused.
      expect(screen.queryByRole('button', { name: /Pause/ })).toBeNull();
    },
  );

  it('cancels a multipart upload with its own button', async () => {
    withoutTus();
    let requests = 0;
    server.use(
      http.post(`${API}/sounds`, async ({ request }) => {
        requests += 1;
        // Held until the client gives up.
        await new Promise((resolve) => request.signal.addEventListener('abort', resolve));
        return HttpResponse.json(makeSound(), { status: 201 });
      }),
    );
    const { user } = renderUpload();
    await user.upload(screen.getByLabelText('Audio files'), audioFile('long.wav'));
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    await waitFor(() => expect(requests).toBe(1));
    expect(screen.queryByRole('button', { name: 'Pause upload of long.wav' })).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Cancel upload of long.wav' }));
    await waitFor(() =>
      expect(within(uploadRow('long.wav')).getByText('Cancelled')).toBeInTheDocument(),
    );
    expect(
      screen.queryByRole('button', { name: 'Cancel upload of long.wav' }),
    ).not.toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it.each([
    [
      413,
      apiError(413, 'FILE_TOO_LARGE', 'The file is larger than the limit of 104857600 bytes'),
      '“big.wav” is too large. The server accepts files up to 105 MB.',
    ],
    [
      415,
      apiError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'The file is not audio Cloud Sound can play: a PNG image.',
      ),
      '“big.wav” was not uploaded. The file is not audio Cloud Sound can play: a PNG image.',
    ],
    [
      415,
      apiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Not audio'),
      '“big.wav” is not an audio file the server accepts.',
    ],
    [
      422,
      apiError(422, 'AUDIO_TOO_COMPLEX', 'over budget'),
      '“big.wav” could not be checked: its structure is too large or too deep.',
    ],
    [
      429,
      apiError(429, 'TOO_MANY_AT_ONCE', 'Too many uploads at once'),
      '“big.wav” was not uploaded. Too much is going on at once from your connection.',
    ],
    [
      413,
      apiError(
        413,
        'QUOTA_EXCEEDED',
        'Your sounds take 2147000000 of your 2147483648 bytes of storage: delete some to upload more',
      ),
      '“big.wav” was not uploaded. Your sounds take 2147000000 of your 2147483648 bytes of storage: delete some to upload more. Delete some of your sounds to make room for it.',
    ],
    [
      429,
      apiError(
        429,
        'TOO_MANY_PENDING',
        '100 of your sounds are waiting to be processed (at most 100): upload more once some are ready',
      ),
      '“big.wav” was not uploaded. 100 of your sounds are waiting to be processed (at most 100): upload more once some are ready. Wait until some of your sounds have been processed, then upload it again.',
    ],
    [
      401,
      apiError(401, 'UNKNOWN_USER', 'No user has id 5'),
      '“big.wav” was not uploaded. Your login is no longer valid.',
    ],
    [
      503,
      apiError(503, 'STORAGE_UNAVAILABLE', 'down'),
      '“big.wav” was not uploaded. Sound storage is down at the moment.',
    ],
  ])('explains a %i in words', async (status, body, message) => {
    withoutTus();
    server.use(http.post(`${API}/sounds`, () => HttpResponse.json(body, { status })));
    const { user } = renderUpload();
    await screen.findByText(/up to 4.3 GB and 3 hours each/);
    await user.upload(screen.getByLabelText('Audio files'), audioFile('big.wav'));
    await user.click(screen.getByRole('button', { name: 'Upload' }));

    expect(await within(uploadRow('big.wav')).findByRole('alert')).toHaveTextContent(message);
    expect(within(uploadRow('big.wav')).getByText('Failed')).toBeInTheDocument();
  });

  it('explains a network failure in words', async () => {
    withoutTus();
    server.use(http.post(`${API}/sounds`, () => HttpResponse.error()));
    const { user } = renderUpload();
    await user.upload(screen.getByLabelText('Audio files'), audioFile('tone.wav'));
    await user.click(screen.getByRole('button', { name: 'Upload' }));

    expect(await within(uploadRow('tone.wav')).findByRole('alert')).toHaveTextContent(
      '“tone.wav” could not be sent: the server cannot be reached.',
    );
  });
});

describe('the limits and formats', () => {
  it('are shown before a file is chosen, and filter the picker, all from GET /limits', async () => {
    server.use(
      http.get(`${API}/limits`, () =>
        HttpResponse.json(
          makeLimits({
            upload: {
              maxBytes: 1_000_000,
              resumableMaxBytes: 5_000_000,
              maxDurationMs: 5_400_000,
              formats: [
                { name: 'MP3', types: ['audio/mpeg'], extensions: ['.mp3'] },
                { name: 'Opus', types: ['audio/opus', 'audio/ogg'], extensions: ['.opus'] },
              ],
            },
            title: { maxLength: 80 },
          }),
        ),
      ),
    );
    renderUpload();
    expect(
      await screen.findByText(/^MP3 or Opus, up to 5\.0 MB and 1 hour 30 minutes each\./),
    ).toBeInTheDocument();
    expect(screen.getByLabelText('Audio files')).toHaveAttribute(
      'accept',
      '.mp3,audio/mpeg,.opus,audio/opus,audio/ogg',
    );
    expect(screen.getByLabelText('Title (optional)')).toHaveAttribute('maxlength', '80');
  });
});

describe('files whose type the browser does not know', () => {
  /** The families of `GET /limits` as the API lists them (a few of them). */
  const limits = makeLimits({
    upload: {
      maxBytes: 104_857_600,
      resumableMaxBytes: 4_294_967_296,
      maxDurationMs: 10_800_000,
      formats: [
        { name: 'MP3', types: ['audio/mpeg'], extensions: ['.mp3', '.mp2'] },
        { name: 'WAV', types: ['audio/wav', 'audio/x-wav'], extensions: ['.wav'] },
        { name: 'AIFF', types: ['audio/aiff'], extensions: ['.aiff', '.aif'] },
        { name: 'FLAC', types: ['audio/flac'], extensions: ['.flac'] },
        { name: 'Ogg', types: ['audio/ogg'], extensions: ['.ogg', '.opus'] },
        { name: 'M4A', types: ['audio/mp4'], extensions: ['.m4a'] },
        { name: 'AAC', types: ['audio/aac'], extensions: ['.aac'] },
        { name: 'WebM and Matroska', types: ['audio/webm'], extensions: ['.webm', '.mka'] },
        { name: 'WMA', types: ['audio/x-ms-wma'], extensions: ['.wma'] },
        { name: 'AMR', types: ['audio/amr'], extensions: ['.amr'] },
        { name: 'CAF', types: ['audio/x-caf'], extensions: ['.caf'] },
        { name: 'WavPack', types: ['audio/x-wavpack'], extensions: ['.wv'] },
        { name: 'AC-3', types: ['audio/ac3'], extensions: ['.ac3'] },
      ],
    },
  });
  // What browsers report for these: nothing, or a video type.
  const odd = [
    new File([new Uint8Array(64)], 'memo.amr', { type: '' }),
    new File([new Uint8Array(64)], 'album.wma', { type: 'video/x-ms-wma' }),
    new File([new Uint8Array(64)], 'loop.caf', { type: '' }),
    new File([new Uint8Array(64)], 'master.wv', { type: '' }),
    new File([new Uint8Array(64)], 'film.ac3', { type: 'application/octet-stream' }),
    new File([new Uint8Array(64)], 'opus.mka', { type: 'video/x-matroska' }),
  ];

  function serve() {
    const received: (string | undefined)[] = [];
    serveTus({
      refuseCreation: (upload) => {
        received.push(upload.metadata.filename);
        return null;
      },
    });
    server.use(http.get(`${API}/limits`, () => HttpResponse.json(limits)));
    return received;
  }

  it('names the common formats and lists them all, and the picker suggests every family', async () => {
    serve();
    const { user } = renderUpload();
    expect(
      await screen.findByText(
        /^MP3, WAV, AIFF, FLAC, Ogg, M4A, AAC, WebM and Matroska and 5 more formats, up to 4.3 GB and 3 hours each\./,
      ),
    ).toBeInTheDocument();
    await user.click(screen.getByText('Every format accepted'));
    expect(screen.getByText(/, WMA, AMR, CAF, WavPack or AC-3\.$/)).toBeVisible();
    const accept = screen.getByLabelText('Audio files').getAttribute('accept')?.split(',');
    expect(accept).toEqual(
      expect.arrayContaining(['.amr', '.wma', '.caf', '.wv', '.ac3', '.mka', 'audio/x-ms-wma']),
    );
  });

  it('sends them from the picker, whatever type the browser gave them: the server judges', async () => {
    const received = serve();
    const { user } = renderUpload();
    await screen.findByText(/up to 4.3 GB and 3 hours each/);
    // user-event keeps only the files `accept` lets through, as a browser's picker suggests.
    await user.upload(screen.getByLabelText('Audio files'), odd);
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    await waitFor(() => expect(received).toHaveLength(odd.length));
    expect(received.sort()).toEqual(odd.map((file) => file.name).sort());
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('sends them when dropped, too', async () => {
    const received = serve();
    renderUpload();
    await screen.findByText(/up to 4.3 GB and 3 hours each/);
    const drop = createEvent('drop', window, { bubbles: true, cancelable: true });
    Object.defineProperty(drop, 'dataTransfer', {
      value: { types: ['Files'], files: odd, dropEffect: 'none' },
    });
    fireEvent(window, drop);
    await waitFor(() => expect(received).toHaveLength(odd.length));
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});

describe('dropping files', () => {
  function dragEvent(type: string, files: File[]) {
    const event = createEvent(type, window, { bubbles: true, cancelable: true });
    Object.defineProperty(event, 'dataTransfer', {
      value: { types: ['Files'], files, dropEffect: 'none' },
    });
    return event;
  }

  it('shows a drop zone while files are over the page and uploads what is dropped', async () => {
    const received: (string | undefined)[] = [];
    serveTus({
      refuseCreation: (upload) => {
        received.push(upload.metadata.filename);
        return null;
      },
    });
    renderUpload();
    const file = audioFile('dropped.wav');

    fireEvent(window, dragEvent('dragenter', [file]));
    expect(screen.getByText('Drop audio files to upload them')).toBeInTheDocument();
    const over = dragEvent('dragover', [file]);
    fireEvent(window, over);
    // Cancelled, so the browser lets the page have the file instead of opening it.
    expect(over.defaultPrevented).toBe(true);
    fireEvent(window, dragEvent('drop', [file]));

    expect(screen.queryByText('Drop audio files to upload them')).not.toBeInTheDocument();
    await waitFor(() =>
      expect(
        within(uploadRow('dropped.wav')).getByText('Uploaded as “dropped”'),
      ).toBeInTheDocument(),
    );
    expect(received).toEqual(['dropped.wav']);
  });

  it('hides the drop zone when the files leave the page', () => {
    renderUpload();
    fireEvent(window, dragEvent('dragenter', [audioFile('a.wav')]));
    expect(screen.getByText('Drop audio files to upload them')).toBeInTheDocument();
    fireEvent(window, dragEvent('dragleave', [audioFile('a.wav')]));
    expect(screen.queryByText('Drop audio files to upload them')).not.toBeInTheDocument();
  });
});

describe('the storage use', () => {
  /** `GET /me` answering from `state`, which a test's other handlers change. */
  function serveMe(state: { usedBytes: number; pending: number }) {
    server.use(
      http.get(`${API}/me`, () =>
        HttpResponse.json(
          makeMe(ME, {
            storage: { usedBytes: state.usedBytes, limitBytes: 2_000_000_000 },
            pendingSounds: { count: state.pending, limit: 100 },
          }),
        ),
      ),
    );
  }

  it('shows how much of their storage is used in a labelled meter, and the sounds waiting', async () => {
    serveMe({ usedBytes: 1_234_000_000, pending: 3 });
    renderUpload();
    const meter = await screen.findByRole('meter', { name: 'Your storage' });
    expect(meter.tagName).toBe('METER');
    expect(meter).toHaveAttribute('max', '2000000000');
    expect(meter).toHaveAttribute('value', '1234000000');
    expect(meter).toHaveAccessibleDescription('1.2 GB of 2.0 GB used');
    expect(screen.getByText('3 sounds waiting to be processed (at most 100)')).toBeInTheDocument();
  });

  it('says nothing of waiting sounds when none are waiting', async () => {
    serveMe({ usedBytes: 0, pending: 0 });
    renderUpload();
    expect(await screen.findByRole('meter', { name: 'Your storage' })).toHaveAccessibleDescription(
      '0 B of 2.0 GB used',
    );
    expect(screen.queryByText(/waiting to be processed/)).not.toBeInTheDocument();
  });

  it('is fresh by the time an upload counts as done', async () => {
    const state = { usedBytes: 1_000_000, pending: 0 };
    serveMe(state);
    serveTus({
      refuse: () => {
        state.usedBytes += 500_000;
        state.pending += 1;
        return null;
      },
    });
    const { user } = renderUpload();
    const meter = await screen.findByRole('meter', { name: 'Your storage' });
    expect(meter).toHaveAccessibleDescription('1.0 MB of 2.0 GB used');
    expect(screen.queryByText(/waiting to be processed/)).not.toBeInTheDocument();

    await user.upload(screen.getByLabelText('Audio files'), audioFile('tone.wav'));
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    await waitFor(() =>
      expect(within(uploadRow('tone.wav')).getByText('Uploaded as “tone”')).toBeInTheDocument(),
    );
    // No wait here: the upload settles only once `GET /me` has answered again.
    expect(meter).toHaveAccessibleDescription('1.5 MB of 2.0 GB used');
    expect(screen.getByText('1 sound waiting to be processed (at most 100)')).toBeInTheDocument();
  });

  it('is asked again after a refusal for the quota', async () => {
    const state = { usedBytes: 1_900_000_000, pending: 0 };
    serveMe(state);
    serveTus({
      refuse: () => {
        // Another tab's uploads took the rest meanwhile.
        state.usedBytes = 2_000_000_000;
        return {
          status: 413,
          body: apiError(
            413,
            'UPLOAD_OVER_QUOTA',
            'Your sounds take 2000000000 of your 2000000000 bytes of storage: delete some to upload more',
          ),
        };
      },
    });
    const { user } = renderUpload();
    const meter = await screen.findByRole('meter', { name: 'Your storage' });
    expect(meter).toHaveAccessibleDescription('1.9 GB of 2.0 GB used');
    await user.upload(screen.getByLabelText('Audio files'), audioFile('big.wav'));
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    expect(await within(uploadRow('big.wav')).findByRole('alert')).toHaveTextContent(
      'Delete some of your sounds to make room for it.',
    );
    expect(meter).toHaveAccessibleDescription('2.0 GB of 2.0 GB used');
  });

  it('shrinks after a delete', async () => {
    const mine = makeSound({ title: 'Mine', userId: ME, size: 300_000_000 });
    const sounds = [mine];
    const state = { usedBytes: 1_500_000_000, pending: 0 };
    serveMe(state);
    server.use(
      http.get(`${API}/sounds`, () => HttpResponse.json(soundList([...sounds]))),
      http.delete(`${API}/sounds/:id`, () => {
        sounds.splice(0, 1);
        state.usedBytes -= 300_000_000;
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { user } = renderWithProviders(
      <>
        <UploadForm userId={ME} />
        <SoundsSection userId={ME} title="My sounds" level={2} />
      </>,
      { userId: ME },
    );
    const meter = await screen.findByRole('meter', { name: 'Your storage' });
    expect(meter).toHaveAccessibleDescription('1.5 GB of 2.0 GB used');

    await user.click(await screen.findByRole('button', { name: 'Delete Mine' }));
    // The 5 seconds to undo are skipped: the delete goes now.
    sendWaitingDeletes();
    await waitFor(() => expect(meter).toHaveAccessibleDescription('1.2 GB of 2.0 GB used'));
  });
});
