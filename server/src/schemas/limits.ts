import { Type } from 'typebox';

export const Limits = Type.Object(
  {
    userId: Type.Object({ minimum: Type.Integer(), maximum: Type.Integer() }),
    title: Type.Object({
      maxLength: Type.Integer({ description: 'In characters (Unicode code points)' }),
    }),
    page: Type.Object({
      default: Type.Integer({ description: 'Sounds per page when `limit` is not given' }),
      maximum: Type.Integer({ description: 'The largest `limit` accepted' }),
    }),
    upload: Type.Object({
      maxBytes: Type.Integer({ description: 'The largest file `POST /sounds` may carry' }),
      resumableMaxBytes: Type.Integer({
        description: 'The largest file a resumable upload (`/uploads`, tus) may carry',
      }),
      maxDurationMs: Type.Integer({
        description:
          'The longest sound accepted; a small file is held to less (no more than 2 kbit/s of its bytes can carry)',
      }),
      formats: Type.Array(
        Type.Object({
          name: Type.String({ description: 'As people call it, e.g. MP3' }),
          types: Type.Array(Type.String(), { description: 'Media types, e.g. audio/mpeg' }),
          extensions: Type.Array(Type.String(), { description: 'File name endings, e.g. .mp3' }),
        }),
      ),
    }),
    quota: Type.Object({
      storageBytes: Type.Integer({ description: 'Bytes one user’s sounds may take' }),
      pendingSounds: Type.Integer({
        description: 'Sounds one user may have waiting for processing',
      }),
    }),
  },
  {
    $id: 'Limits',
    title: 'Limits',
    examples: [
      {
        userId: { minimum: 1, maximum: 2147483647 },
        title: { maxLength: 200 },
        page: { default: 20, maximum: 100 },
        upload: {
          maxBytes: 104857600,
          resumableMaxBytes: 4294967296,
          maxDurationMs: 10800000,
          formats: [{ name: 'MP3', types: ['audio/mpeg'], extensions: ['.mp3'] }],
        },
        quota: { storageBytes: 10737418240, pendingSounds: 100 },
      },
    ],
  },
);
