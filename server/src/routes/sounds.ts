import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, type TSchema, Type } from 'typebox';
import { ACCEPTED_FORMAT_NAMES, MAX_TITLE_LENGTH, PAGE_SIZE } from '../contract.ts';
import { errorReplies } from '../schemas/common.ts';
import { type SoundChanges, SoundListQuery, SoundParams } from '../schemas/sound.ts';
import { presentSound } from '../sounds/present.ts';
import type { SoundFile } from '../sounds/service.ts';

export const soundRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { sounds, config } = fastify;
  const present = (row: Parameters<typeof presentSound>[0]) => presentSound(row, config.PUBLIC_URL);

  fastify.get(
    '/sounds',
    {
      schema: {
        tags: ['sounds'],
        summary: 'List sounds, newest first',
        description:
          'Keyset-paginated: pass `nextCursor` back as `cursor` (with the same `q` and `userId`) for the next page.',
        querystring: SoundListQuery,
        response: { 200: Type.Ref('SoundList'), ...errorReplies(400, 503) },
      },
    },
    async (request, reply) => {
      const { limit = PAGE_SIZE.default, cursor, userId, q } = request.query;
      const json = await sounds.listPage(
        { limit, userId, q, cursor },
        (page) =>
          // The route's JSON serializer always produces a string.
          reply.serialize({
            items: page.items.map(present),
            nextCursor: page.nextCursor,
          }) as string,
      );
      // Already serialised with this route's response schema.
      return reply.type('application/json; charset=utf-8').send(json);
    },
  );

  fastify.get(
    '/sounds/:id',
    {
      schema: {
        tags: ['sounds'],
        summary: 'Get one sound',
        params: SoundParams,
        response: { 200: Type.Ref('Sound'), ...errorReplies(400, 404, 503) },
      },
    },
    async (request) => present(await sounds.find(request.params.id)),
  );

  const fileRoute = (
    path: string,
    file: SoundFile,
    summary: string,
    description: string,
    media: Record<string, { schema: TSchema }>,
  ) =>
    fastify.get(
      path,
      {
        config: { concurrency: 'playbacks' },
        schema: {
          tags: ['sounds'],
          summary,
          description: `${description} Supports HEAD, \`Range\` (206, 416) and \`If-None-Match\` (304).`,
          params: SoundParams,
          response: {
            200: { description: 'The whole file', content: media },
            206: { description: 'The requested range', content: media },
            304: Type.Null({ description: 'Not modified' }),
            ...errorReplies(400, 404, 416, 503),
          },
        },
      },
      (request, reply) => sounds.send(request.params.id, file, request, reply),
    );
  const audioBytes = { 'audio/*': { schema: Type.String({ format: 'binary' }) } };

  fileRoute(
    '/sounds/:id/audio',
    'original',
    'Download a sound as uploaded',
    'The untouched original file, with its detected Content-Type.',
    audioBytes,
  );
  fileRoute(
    '/sounds/:id/stream',
    'stream',
    'Stream the listening rendition',
    'What players should play: a compressed rendition every browser plays (MP3); 404 until the sound is processed.',
    audioBytes,
  );
  fileRoute(
    '/sounds/:id/waveform',
    'waveform',
    "Get a sound's waveform",
    'Peaks in BBC audiowaveform JSON (version 2, 8 bits, min/max pairs, about 1,000–2,000 points), as wavesurfer.js and peaks.js read them; 404 until the sound is processed.',
    { 'application/json': { schema: Type.Ref('Waveform') } },
  );

  fastify.post(
    '/sounds',
    {
      preHandler: fastify.requireUser,
      config: { concurrency: 'uploads', rateLimited: 'uploads' },
      // The multipart body is validated while it streams (see receiveUpload); the schema
      // below only documents it.
      validatorCompiler: () => () => true,
      schema: {
        tags: ['sounds'],
        summary: 'Upload a sound',
        description: `One audio file in the part \`file\` (${ACCEPTED_FORMAT_NAMES}; at most ${config.MAX_UPLOAD_BYTES} bytes, see GET /limits) and an optional \`title\` (at most ${MAX_TITLE_LENGTH} characters; default: the filename without extension).`,
        consumes: ['multipart/form-data'],
        body: Type.Object({
          file: Type.String({ format: 'binary' }),
          title: Type.Optional(Type.String({ maxLength: MAX_TITLE_LENGTH })),
        }),
        response: { 201: Type.Ref('Sound'), ...errorReplies(413, 415, 422) },
      },
    },
    async (request, reply) => {
      const row = await sounds.upload(request, request.userId as number);
      return reply.code(201).send(present(row));
    },
  );

  fastify.patch(
    '/sounds/:id',
    {
      preHandler: fastify.requireUser,
      schema: {
        tags: ['sounds'],
        summary: 'Rename one of your sounds',
        params: SoundParams,
        body: Type.Ref('SoundChanges'),
        response: { 200: Type.Ref('Sound'), ...errorReplies(403, 404) },
      },
    },
    async (request) => {
      // Validated against SoundChanges (by reference, so the document names it).
      const { title } = request.body as Static<typeof SoundChanges>;
      return present(await sounds.rename(request.params.id, request.userId as number, title));
    },
  );

  fastify.delete(
    '/sounds/:id',
    {
      preHandler: fastify.requireUser,
      schema: {
        tags: ['sounds'],
        summary: 'Delete one of your sounds',
        params: SoundParams,
        response: {
          204: Type.Null({ description: 'Deleted' }),
          ...errorReplies(403, 404),
        },
      },
    },
    async (request, reply) => {
      await sounds.remove(request.params.id, request.userId as number, request.log);
      return reply.code(204).send(null);
    },
  );
};
