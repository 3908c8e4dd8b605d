import { Type } from 'typebox';
import { MAX_TITLE_LENGTH, PAGE_SIZE } from '../contract.ts';
import { FAILURE_REASONS } from '../processing/failures.ts';
import { Nullable, StringEnum, UserId } from './common.ts';

export const SoundId = Type.String({ format: 'uuid', description: 'The sound id' });

const SOUND_EXAMPLE = {
  id: '0b0e5fd3-6a1f-4e1c-9f3e-2f5b2c1a7d10',
  title: 'Morning birds',
  filename: 'morning-birds.wav',
  contentType: 'audio/wav',
  size: 5292044,
  durationMs: 30000,
  userId: 4242,
  createdAt: '2026-12-01T10:30:00.000Z',
  audioUrl: 'http://localhost:8080/sounds/0b0e5fd3-6a1f-4e1c-9f3e-2f5b2c1a7d10/audio',
  processing: 'ready',
  processingError: null,
  waveformUrl: 'http://localhost:8080/sounds/0b0e5fd3-6a1f-4e1c-9f3e-2f5b2c1a7d10/waveform',
  streamUrl: 'http://localhost:8080/sounds/0b0e5fd3-6a1f-4e1c-9f3e-2f5b2c1a7d10/stream',
  loudness: { integratedLufs: -18.4, truePeakDbtp: -1.2 },
};

/** Why processing failed: a stable code and its sentence. */
export const ProcessingError = Type.Object(
  {
    code: StringEnum(Object.keys(FAILURE_REASONS) as Array<keyof typeof FAILURE_REASONS>),
    message: Type.String({ description: 'The reason in a plain sentence' }),
  },
  { title: 'ProcessingError' },
);

/** EBU R128 measurements of the decoded sound. */
export const Loudness = Type.Object(
  {
    integratedLufs: Type.Number({ description: 'Integrated loudness, in LUFS' }),
    truePeakDbtp: Type.Number({ description: 'The highest true peak, in dBTP' }),
  },
  { title: 'Loudness' },
);

export const Sound = Type.Object(
  {
    id: SoundId,
    title: Type.String(),
    filename: Type.String({ description: 'The name of the file as uploaded' }),
    contentType: Type.String({
      description:
        'The type the decoder found, e.g. audio/mpeg (`application/octet-stream` until it has looked, while `processing` is `pending` on a server without ffmpeg)',
    }),
    size: Type.Integer({ description: 'Bytes' }),
    durationMs: Nullable(Type.Integer(), { description: 'Null when unknown' }),
    userId: UserId,
    createdAt: Type.String({ format: 'date-time' }),
    audioUrl: Type.String({
      format: 'uri',
      description: 'The original file, untouched (supports Range): for downloading',
    }),
    processing: StringEnum(['pending', 'ready', 'failed'], {
      description:
        'Whether the waveform and the listening rendition are made yet: `pending` just after upload, then `ready`, or `failed` (see `processingError`)',
    }),
    processingError: Nullable(ProcessingError, {
      description:
        'Why processing failed: only for the uploader (on `GET /sounds/{id}` with their `X-User-Id`), null for everyone else and unless `failed`',
    }),
    waveformUrl: Nullable(Type.String({ format: 'uri' }), {
      description: 'The waveform peaks (audiowaveform JSON); null until processing is ready',
    }),
    streamUrl: Nullable(Type.String({ format: 'uri' }), {
      description:
        'The listening rendition for players (supports Range); null until processing is ready (play `audioUrl` meanwhile, where the browser can)',
    }),
    loudness: Nullable(Loudness, {
      description:
        'EBU R128 loudness, for players that level sounds to one target; null until processed, or when the sound is too short or quiet to measure',
    }),
  },
  { $id: 'Sound', title: 'Sound', examples: [SOUND_EXAMPLE] },
);

export const SoundList = Type.Object(
  {
    items: Type.Array(Type.Ref('Sound')),
    nextCursor: Nullable(Type.String(), {
      description: 'Pass as `cursor` for the next page; null on the last page',
    }),
  },
  {
    $id: 'SoundList',
    title: 'SoundList',
    examples: [{ items: [SOUND_EXAMPLE], nextCursor: 'WyIyMDI2LTEyLTAxVDEwOjMwOjAwLjAwMFoiXQ' }],
  },
);

export const SoundListQuery = Type.Object({
  q: Type.Optional(
    Type.String({
      maxLength: 200,
      description:
        'Search: sounds whose title or filename has words starting with each word given (case and accents ignored)',
    }),
  ),
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: PAGE_SIZE.maximum, default: PAGE_SIZE.default }),
  ),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  userId: Type.Optional(UserId),
});

export const SoundParams = Type.Object({ id: SoundId });

export const SoundChanges = Type.Object(
  {
    title: Type.String({
      minLength: 1,
      maxLength: MAX_TITLE_LENGTH,
      description: 'The new title (control characters are removed; NUL is refused)',
    }),
  },
  {
    additionalProperties: false,
    $id: 'SoundChanges',
    title: 'SoundChanges',
    examples: [{ title: 'Morning birds, take 2' }],
  },
);

/** What a client may ask of a sound's file: a range, or only if it changed. */
export const StoredFileHeaders = Type.Object({
  range: Type.Optional(
    Type.String({
      description: 'One byte range, e.g. `bytes=0-1023` or `bytes=1000-` (answered 206)',
      examples: ['bytes=0-1023'],
    }),
  ),
  'if-range': Type.Optional(
    Type.String({ description: 'The `ETag` a `Range` applies to; otherwise the whole file' }),
  ),
  'if-none-match': Type.Optional(
    Type.String({ description: 'The `ETag` held already: 304 when it still matches' }),
  ),
  'if-modified-since': Type.Optional(
    Type.String({ description: 'An HTTP date: 304 when the file has not changed since' }),
  ),
});

/** What comes with a sound's file (200, 206). */
export const StoredFileReplyHeaders = {
  'Content-Length': Type.Integer({ description: 'Bytes in this answer' }),
  'Content-Range': Type.String({
    description: 'On 206: the range sent and the whole size, e.g. `bytes 0-1023/48044`',
    pattern: '^bytes \\d+-\\d+/\\d+$',
  }),
  'Accept-Ranges': Type.Literal('bytes'),
  ETag: Type.String({ description: 'The file’s version (it never changes)' }),
  'Last-Modified': Type.String({ description: 'When the file was stored (an HTTP date)' }),
  'Content-Disposition': Type.String({
    description: 'Inline, with the file’s name (the original’s as uploaded)',
  }),
  'Cache-Control': Type.Literal('public, max-age=31536000, immutable'),
};
