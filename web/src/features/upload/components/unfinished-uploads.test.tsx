import { screen, waitFor, within } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { serveTusApi } from '../../../testing/fake-tus.ts';
import { API, makeMe, soundList } from '../../../testing/fixtures.ts';
import { setupMockApi } from '../../../testing/msw.ts';
import { renderWithProviders } from '../../../testing/render.tsx';
import { CHUNK_SIZE, forgetEndpointCheck } from '../api/resumable-upload.ts';
import { UploadForm } from './upload-form.tsx';

const ME = 5;
const server = setupMockApi(
  http.get(`${API}/me`, ({ request }) =>
    HttpResponse.json(makeMe(Number(request.headers.get('X-User-Id')))),
  ),
  http.get(`${API}/sounds`, () => HttpResponse.json(soundList([]))),
);

afterEach(() => forgetEndpointCheck());

/** The same file on the person's disk, whenever it is chosen: same name, size and date. */
function songFile(name = 'song.wav', size = 2 * CHUNK_SIZE + 1024) {
  return new File([new Uint8Array(size)], name, {
    type: 'audio/wav',
    lastModified: 1_700_000_000_000,
  });
}

function renderUpload(userId = ME) {
  return renderWithProviders(<UploadForm userId={userId} />, { userId });
}

function storedUploads() {
  return Object.keys(localStorage).filter((key) => key.startsWith('tus::'));
}

/**
 * Starts uploading song.wav, lets the server take its first chunk, then closes the page (the
 * render goes away; localStorage stays, as after a reload).
 */
async function leaveHalfUploaded() {
  const api = serveTusApi(server, { userId: ME });
  api.tus.hold(CHUNK_SIZE);
  const page = renderUpload();
  await page.user.upload(screen.getByLabelText('Audio files'), songFile());
  await page.user.click(screen.getByRole('button', { name: 'Upload' }));
  await waitFor(() =>
    expect(screen.getByRole('progressbar', { name: 'song.wav' })).toHaveAttribute(
      'aria-valuetext',
      '50% sent',
    ),
  );
  page.unmount();
  api.tus.release();
  api.tus.requests.length = 0;
  return api;
}

function unfinishedRow(fileName: string) {
  const list = screen.getByRole('list', { name: 'Unfinished uploads' });
  const row = within(list)
    .getAllByRole('listitem')
    .find((item) => item.textContent?.includes(`Unfinished: ${fileName}`));
  if (!row) throw new Error(`no unfinished upload of ${fileName}`);
  return row;
}

describe('unfinished uploads after a reload', () => {
  it('are listed with how much the server has, and the same file chosen again resumes there', async () => {
    const { tus } = await leaveHalfUploaded();
    expect(tus.uploads.get('upload-1')?.offset).toBe(CHUNK_SIZE);
    expect(storedUploads()).toHaveLength(1);

    const { user } = renderUpload();
    const row = await screen.findByText(
      'Unfinished: song.wav, 50% — choose the file again to resume.',
    );
    expect(row).toBeVisible();
    tus.hold(CHUNK_SIZE);
    await user.upload(screen.getByLabelText('Choose song.wav again'), songFile());

    // The bar starts where the server is, not at 0, and stays there while the rest is sent.
    const progress = screen.getByRole('progressbar', { name: 'song.wav' });
    expect(progress).toHaveValue(50);
    expect(screen.queryByRole('list', { name: 'Unfinished uploads' })).toBeNull();
    await waitFor(() =>
      expect(tus.requests.map(({ method }) => method)).toEqual(['HEAD', 'HEAD', 'PATCH']),
    );
    expect(progress).toHaveAttribute('aria-valuetext', '50% sent');
    tus.release();
    await waitFor(() => expect(progress).toHaveAttribute('aria-valuetext', 'Uploaded as “song”'));
    expect(tus.requests.map(({ method, offset }) => [method, offset])).toEqual([
      ['HEAD', undefined], // the list asks how far it got
      ['HEAD', undefined], // tus-js-client asks again before going on
      ['PATCH', CHUNK_SIZE],
      ['PATCH', 2 * CHUNK_SIZE],
    ]);
    expect(tus.requests.every((request) => request.userId === String(ME))).toBe(true);
    await waitFor(() => expect(storedUploads()).toEqual([]));
  });

  it('resume when the same file is picked in the form again, too', async () => {
    const { tus } = await leaveHalfUploaded();
    const { user } = renderUpload();
    await screen.findByText(/^Unfinished: song\.wav/);
    await user.upload(screen.getByLabelText('Audio files'), songFile());
    await user.click(screen.getByRole('button', { name: 'Upload' }));

    await waitFor(() =>
      expect(screen.getByRole('progressbar', { name: 'song.wav' })).toHaveAttribute(
        'aria-valuetext',
        'Uploaded as “song”',
      ),
    );
    expect(tus.requests.map(({ method }) => method)).not.toContain('POST');
    expect(tus.requests.find(({ method }) => method === 'PATCH')?.offset).toBe(CHUNK_SIZE);
  });

  it('say so when a different file is chosen, and send nothing', async () => {
    const { tus } = await leaveHalfUploaded();
    const { user } = renderUpload();
    await screen.findByText(/^Unfinished: song\.wav/);
    const requests = tus.requests.length;

    await user.upload(screen.getByLabelText('Choose song.wav again'), songFile('other.wav', 4096));
    expect(within(unfinishedRow('song.wav')).getByRole('alert')).toHaveTextContent(
      '“other.wav” is not the file this upload started with. Choose song.wav (17 MB) to resume it.',
    );
    expect(screen.queryByRole('list', { name: 'Uploads' })).toBeNull();
    expect(tus.requests).toHaveLength(requests);
  });

  it('can be discarded: terminated on the server and forgotten here', async () => {
    const { tus } = await leaveHalfUploaded();
    const { user } = renderUpload();
    await screen.findByText(/^Unfinished: song\.wav/);

    await user.click(screen.getByRole('button', { name: 'Discard unfinished upload of song.wav' }));
    await waitFor(() =>
      expect(screen.queryByRole('list', { name: 'Unfinished uploads' })).toBeNull(),
    );
    expect(tus.requests.filter(({ method }) => method === 'DELETE')).toEqual([
      { method: 'DELETE', id: 'upload-1', offset: undefined, userId: String(ME) },
    ]);
    expect(tus.uploads.size).toBe(0);
    expect(storedUploads()).toEqual([]);
  });

  it('say why one could not be discarded', async () => {
    const { tus } = await leaveHalfUploaded();
    const { user } = renderUpload();
    await screen.findByText(/^Unfinished: song\.wav/);
    server.use(
      http.delete(`${API}/uploads/:id`, () =>
        HttpResponse.json(
          {
            statusCode: 429,
            error: 'Too Many Requests',
            message: 'slow down',
            code: 'RATE_LIMITED',
          },
          { status: 429 },
        ),
      ),
    );
    await user.click(screen.getByRole('button', { name: 'Discard unfinished upload of song.wav' }));
    expect(await within(unfinishedRow('song.wav')).findByRole('alert')).toHaveTextContent(
      'song.wav was not discarded. That was a lot of requests in a short time.',
    );
    expect(tus.uploads.size).toBe(1);
    expect(storedUploads()).toHaveLength(1);
  });

  it('are not another person’s: they neither see nor resume them', async () => {
    const { tus } = await leaveHalfUploaded();
    const { user } = renderUpload(6);
    await screen.findByRole('button', { name: 'Upload' });
    // Their own uploads are asked about, and they have none.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.queryByRole('list', { name: 'Unfinished uploads' })).toBeNull();
    expect(tus.requests).toEqual([]);

    await user.upload(screen.getByLabelText('Audio files'), songFile());
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    await waitFor(() =>
      expect(screen.getByRole('progressbar', { name: 'song.wav' })).toHaveAttribute(
        'aria-valuetext',
        'Uploaded as “song”',
      ),
    );
    // A new upload of their own, from the first byte.
    expect(tus.requests.map(({ method, userId }) => [method, userId])).toEqual([
      ['POST', '6'],
      ['PATCH', '6'],
      ['PATCH', '6'],
      ['PATCH', '6'],
    ]);
    expect(tus.uploads.get('upload-1')?.offset).toBe(CHUNK_SIZE);
  });

  it('are forgotten when the server no longer has them (expired)', async () => {
    const { tus } = await leaveHalfUploaded();
    tus.uploads.clear();
    renderUpload();
    await waitFor(() => expect(storedUploads()).toEqual([]));
    expect(tus.requests.map(({ method }) => method)).toEqual(['HEAD']);
    expect(screen.queryByRole('list', { name: 'Unfinished uploads' })).toBeNull();
  });
});
