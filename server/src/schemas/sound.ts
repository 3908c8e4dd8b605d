import { Type } from 'typebox';
import { MAX_TITLE_LENGTH, PAGE_SIZE } from '../contract.ts';
import { UserId } from './common.ts';

export const SoundId = Type.String({ format: 'uuid', description: 'The sound id' });

export const Sound = Type.Object(
  {
    id: SoundId,
    title: Type.String(),
    filename: Type.String({ description: 'The name of the file as uploaded' }),
    contentType: Type.String({ description: 'The detected audio type, e.g. audio/mpeg' }),
    size: Type.Integer({ description: 'Bytes' }),
    durationMs: Type.Union([Type.Integer(), Type.Null()], { description: 'Null when unknown' }),
    userId: UserId,
    createdAt: Type.String({ format: 'date-time' }),
    audioUrl: Type.String({
      format: 'uri',
      description: 'The original file, untouched (supports Range): for downloading',
    }),
    processing: Type.Union(
      [Type.Literal('pending'), Type.Literal('ready'), Type.Literal('failed')],
      {
        description:
          'Whether the waveform and the listening rendition are made yet: `pending` just after upload, then `ready`, or `failed` (see `processingError`)',
      },
    ),
    processingError: Type.Union([Type.String(), Type.Null()], {
      description: 'Why processing failed, for the uploader; null unless `failed`',
    }),
    waveformUrl: Type.Union([Type.String({ format: 'uri' }), Type.Null()], {
      description: 'The waveform peaks (audiowaveform JSON); null until processing is ready',
    }),
    streamUrl: Type.Union([Type.String({ format: 'uri' }), Type.Null()], {
      description:
        'The listening rendition for players (supports Range); null until processing is ready (play `audioUrl` meanwhile)',
    }),
  },
  { $id: 'Sound', title: 'Sound' },
);

export const SoundList = Type.Object(
  {
    items: Type.Array(Type.Ref('Sound')),
    nextCursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as `cursor` for the next page; null on the last page',
    }),
  },
  { $id: 'SoundList', title: 'SoundList' },
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
