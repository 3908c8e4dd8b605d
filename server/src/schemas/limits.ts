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
      maxBytes: Type.Integer({ description: 'The largest file an upload may carry' }),
      formats: Type.Array(
        Type.Object({
          name: Type.String({ description: 'As people call it, e.g. MP3' }),
          types: Type.Array(Type.String(), { description: 'Media types, e.g. audio/mpeg' }),
          extensions: Type.Array(Type.String(), { description: 'File name endings, e.g. .mp3' }),
        }),
      ),
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
          formats: [{ name: 'MP3', types: ['audio/mpeg'], extensions: ['.mp3'] }],
        },
      },
    ],
  },
);
