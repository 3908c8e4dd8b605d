import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RouteHandlerMethod } from 'fastify';
import { type Static, type TSchema, Type } from 'typebox';
import { MAX_TITLE_LENGTH, PAGE_SIZE } from '../contract.ts';
import { gatewayTakesTransfers } from '../lib/gateway-transfers.ts';
import { AUDIO_FAMILY_NAMES } from '../media/formats.ts';
import { errorReplies, errorReply, reply } from '../schemas/replies.ts';
import {
  type SoundChanges,
  SoundListQuery,
  SoundParams,
  StoredFileHeaders,
  StoredFileReplyHeaders,
} from '../schemas/sound.ts';
import { sendStoredFile } from '../sounds/playback.ts';
import { soundPresenter } from '../sounds/present.ts';
import type { SoundFile } from '../sounds/service.ts';
import type { UploadTimings } from '../sounds/upload.ts';

/** `Server-Timing` of an upload: the user's check (requireUser), then each of its steps. */
function uploadServerTiming(userCheckMs: number | null, timings: UploadTimings): string {
  const metric = (name: string, ms: number, description: string) =>
    `${name};dur=${ms.toFixed(1)};desc="${description}"`;
  return [
    ...(userCheckMs === null ? [] : [metric('user', userCheckMs, 'user_api')]),
    metric('quota', timings.quota, 'quota'),
    metric('store', timings.store, 'to file_store'),
    metric('check', timings.check, 'ffprobe'),
    metric('publish', timings.publish, 'publish'),
  ].join(', ');
}

export const soundRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { sounds, config, fileStore } = fastify;
  const present = soundPresenter(config.PUBLIC_URL);
  const viaGateway = gatewayTakesTransfers(config.TRUST_PROXY);

  fastify.get(
    '/sounds',
    {
      schema: {
        operationId: 'listSounds',
        tags: ['sounds'],
        summary: 'List sounds, newest first',
        description:
          'Keyset-paginated: pass `nextCursor` back as `cursor` (with the same `q` and `userId`) for the next page.',
        querystring: SoundListQuery,
        response: {
          200: reply('A page of sounds', Type.Ref('SoundList')),
          ...errorReplies(400, 503),
        },
      },
    },
    async (request, reply) => {
      const { limit = PAGE_SIZE.default, cursor, userId, q } = request.query;
      const json = await sounds.listPage({ limit, userId, q, cursor });
      // Written by Postgres in the form of this route's response schema (see page-query.ts).
      return reply.type('application/json; charset=utf-8').send(json);
    },
  );

  fastify.get(
    '/sounds/:id',
    {
      preHandler: fastify.identifyUser,
      schema: {
        operationId: 'getSound',
        tags: ['sounds'],
        summary: 'Get one sound',
        description:
          'A listed sound, with where to fetch its files and how far its processing is. Its uploader, sending `X-User-Id`, also sees why its processing failed (`processingError`).',
        params: SoundParams,
        response: {
          200: reply('The sound', Type.Ref('Sound')),
          ...errorReplies(400, 404, 503),
        },
      },
    },
    async (request) => present(await sounds.find(request.params.id), request.userId),
  );

  /** GET and HEAD of one of a sound's files, each an operation of its own in the document. */
  const fileRoutes = (
    path: string,
    file: SoundFile,
    operation: { get: string; head?: string },
    summary: string,
    description: string,
    media: Record<string, { schema: TSchema }>,
  ) => {
    const handler: RouteHandlerMethod = async (request, reply) => {
      const delivery = await sounds.fileToSend(
        (request.params as Static<typeof SoundParams>).id,
        file,
      );
      return sendStoredFile(fileStore, delivery, request, reply, viaGateway(request));
    };
    const response = {
      200: { description: 'The whole file', content: media, headers: StoredFileReplyHeaders },
      206: {
        description: 'The requested range (`Content-Range` says which)',
        content: media,
        headers: StoredFileReplyHeaders,
      },
      304: { ...Type.Null(), description: 'Not modified (`If-None-Match` matched its `ETag`)' },
      ...errorReplies(400, 404, 416, 503),
      404: {
        ...errorReply(404),
        description:
          'No such sound (for its rendition and waveform: or not processed yet), `SOUND_NOT_FOUND`; or `FILE_MISSING`: the sound is listed but its file is missing from storage (a fault for the operator, who is told; retrying will not help)',
      },
    };
    const schema = {
      tags: ['sounds'],
      description: `${description} Supports \`Range\` (206, 416) and \`If-None-Match\` (304).`,
      params: SoundParams,
      headers: StoredFileHeaders,
      response,
    };
    const methods = operation.head ? (['GET', 'HEAD'] as const) : (['GET'] as const);
    for (const method of methods) {
      fastify.route({
        method,
        url: path,
        // HEAD is documented as an operation of its own, not Fastify's automatic copy.
        exposeHeadRoute: false,
        config: { concurrency: 'playbacks' },
        schema: {
          ...schema,
          operationId: method === 'GET' ? operation.get : operation.head,
          summary: method === 'GET' ? summary : `${summary}: headers only`,
        },
        handler,
      });
    }
  };
  const audioBytes = { 'audio/*': { schema: Type.String({ format: 'binary' }) } };

  fileRoutes(
    '/sounds/:id/audio',
    'original',
    { get: 'getSoundAudio', head: 'headSoundAudio' },
    'Download a sound as uploaded',
    'The untouched original file, with its detected Content-Type.',
    audioBytes,
  );
  fileRoutes(
    '/sounds/:id/stream',
    'stream',
    { get: 'getSoundStream', head: 'headSoundStream' },
    'Stream the listening rendition',
    'What players should play: a compressed rendition every browser plays (MP3); 404 until the sound is processed.',
    audioBytes,
  );
  fileRoutes(
    '/sounds/:id/waveform',
    'waveform',
    { get: 'getSoundWaveform' },
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
        operationId: 'uploadSound',
        tags: ['sounds'],
        summary: 'Upload a sound',
        description: `One audio file in the part \`file\` (anything ffmpeg decodes to sound: ${AUDIO_FAMILY_NAMES}; at most ${config.MAX_UPLOAD_BYTES} bytes, see GET /limits) and an optional \`title\` (at most ${MAX_TITLE_LENGTH} characters; default: the filename without extension). The decoder judges it before the 201 (ffprobe reads its streams and decodes its first packets; what is not audio is refused with 415 and a sentence saying what it is); it is then processed (waveform, listening rendition, exact duration) in the background.`,
        consumes: ['multipart/form-data'],
        body: Type.Object({
          file: Type.String({ format: 'binary', description: 'The audio file' }),
          title: Type.Optional(Type.String({ maxLength: MAX_TITLE_LENGTH })),
        }),
        response: {
          201: reply(
            'The sound, listed and playable at once; `processing` is `pending`',
            Type.Ref('Sound'),
          ),
          ...errorReplies(413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const { row, timings } = await sounds.upload(request, request.userId as number);
      // Where an upload's time went, step by step: browsers' tools and the benchmark read it.
      reply.header('server-timing', uploadServerTiming(request.userCheckMs, timings));
      return reply.code(201).send(present(row, row.userId));
    },
  );

  fastify.patch(
    '/sounds/:id',
    {
      preHandler: fastify.requireUser,
      schema: {
        operationId: 'renameSound',
        tags: ['sounds'],
        summary: 'Rename one of your sounds',
        description:
          'Only the uploader may. The title is cleaned as an upload’s is (control characters removed) and must keep at least one visible character.',
        params: SoundParams,
        body: Type.Ref('SoundChanges'),
        response: {
          200: reply('The sound, with its new title', Type.Ref('Sound')),
          ...errorReplies(403, 404),
        },
      },
    },
    async (request) => {
      // Validated against SoundChanges (by reference, so the document names it).
      const { title } = request.body as Static<typeof SoundChanges>;
      return present(await sounds.rename(request.params.id, request.userId as number, title));
    },
  );

  fastify.post(
    '/sounds/:id/retry',
    {
      preHandler: fastify.requireUser,
      schema: {
        operationId: 'retrySoundProcessing',
        tags: ['sounds'],
        summary: 'Process one of your failed sounds again',
        description:
          'Only the uploader may, and only when `processing` is `failed`: the sound turns `pending` and is processed again.',
        params: SoundParams,
        response: {
          202: reply('The sound, `pending` again', Type.Ref('Sound')),
          ...errorReplies(403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const userId = request.userId as number;
      const sound = await sounds.retry(request.params.id, userId);
      return reply.code(202).send(present(sound, userId));
    },
  );

  fastify.delete(
    '/sounds/:id',
    {
      preHandler: fastify.requireUser,
      schema: {
        operationId: 'deleteSound',
        tags: ['sounds'],
        summary: 'Delete one of your sounds',
        description: 'The sound leaves every listing at once; its files follow.',
        params: SoundParams,
        response: {
          204: { ...Type.Null(), description: 'Deleted' },
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
