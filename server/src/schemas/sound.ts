import { Type } from 'typebox';
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
      description: 'Where to stream the audio (supports Range)',
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
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  userId: Type.Optional(UserId),
});

export const SoundParams = Type.Object({ id: SoundId });
