import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SoundRow } from '../db/schema.ts';
import { Errors } from '../lib/errors.ts';
import { errorReplies } from '../schemas/common.ts';
import { SoundListQuery, SoundParams } from '../schemas/sound.ts';
import { decodeCursor, encodeCursor } from '../sounds/cursor.ts';
import { deleteSound } from '../sounds/delete.ts';
import { MAX_TITLE_LENGTH } from '../sounds/filename.ts';
import { sendSoundAudio } from '../sounds/playback.ts';
import { presentSound } from '../sounds/present.ts';
import { createReadCache } from '../sounds/read-cache.ts';
import { findReadySound, listReadySounds } from '../sounds/repository.ts';
import { receiveUpload } from '../sounds/upload.ts';

const DEFAULT_PAGE_SIZE = 20;

const sounds: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db, fileStore, config } = fastify;
  // Listing pages (serialised, up to ~35 KB each) and ready sounds by id (~0.5 KB), remembered
  // for READ_CACHE_TTL_MS. Entries of an older generation linger until evicted: the bounds
  // keep that to a few MiB.
  const ttlMs = config.READ_CACHE_TTL_MS;
  const listingCache = createReadCache<string>({ ttlMs, maxEntries: 100 });
  const soundCache = createReadCache<SoundRow>({ ttlMs, maxEntries: 2000 });
  const findSound = (id: string) => soundCache.get(id, () => findReadySound(db, id));
  const forgetReads = () => {
    listingCache.invalidate();
    soundCache.invalidate();
  };

  fastify.get(
    '/sounds',
    {
      schema: {
        tags: ['sounds'],
        summary: 'List sounds, newest first',
        description: 'Keyset-paginated: pass `nextCursor` back as `cursor` for the next page.',
        querystring: SoundListQuery,
        response: { 200: Type.Ref('SoundList'), ...errorReplies(400, 503) },
      },
    },
    async (request, reply) => {
      const { limit = DEFAULT_PAGE_SIZE, cursor, userId } = request.query;
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const pageKey = `${limit}:${userId ?? ''}:${cursor ?? ''}`;
      const json = await listingCache.get(pageKey, async () => {
        const rows = await listReadySounds(db, { limit, userId, after });
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        // The route's JSON serializer always produces a string.
        return reply.serialize({
          items: page.map((row) => presentSound(row, config.PUBLIC_URL)),
          nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
        }) as string;
      });
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
    async (request) => {
      const sound = await findSound(request.params.id);
      if (!sound) throw new Errors.soundNotFound(request.params.id);
      return presentSound(sound, config.PUBLIC_URL);
    },
  );

  fastify.get(
    '/sounds/:id/audio',
    {
      config: { concurrency: 'playbacks' },
      schema: {
        tags: ['sounds'],
        summary: 'Stream a sound',
        description:
          'The audio bytes with their real Content-Type. Supports HEAD, `Range` (206, 416) and `If-None-Match` (304).',
        params: SoundParams,
        response: {
          200: {
            description: 'The whole file',
            content: { 'audio/*': { schema: Type.String({ format: 'binary' }) } },
          },
          206: {
            description: 'The requested range',
            content: { 'audio/*': { schema: Type.String({ format: 'binary' }) } },
          },
          304: Type.Null({ description: 'Not modified' }),
          ...errorReplies(400, 404, 416, 503),
        },
      },
    },
    async (request, reply) => {
      const sound = await findSound(request.params.id);
      if (!sound) throw new Errors.soundNotFound(request.params.id);
      return sendSoundAudio(fileStore, sound, request, reply, async () =>
        Boolean(await findReadySound(db, sound.id)),
      );
    },
  );

  fastify.post(
    '/sounds',
    {
      preHandler: fastify.requireUser,
      config: { concurrency: 'uploads' },
      // The multipart body is validated while it streams (see receiveUpload); the schema
      // below only documents it.
      validatorCompiler: () => () => true,
      schema: {
        tags: ['sounds'],
        summary: 'Upload a sound',
        description: `One audio file in the part \`file\` (mp3, wav, ogg, opus, flac, m4a, aac, webm, aiff; at most ${config.MAX_UPLOAD_BYTES} bytes) and an optional \`title\` (at most ${MAX_TITLE_LENGTH} characters; default: the filename without extension).`,
        consumes: ['multipart/form-data'],
        body: Type.Object({
          file: Type.String({ format: 'binary' }),
          title: Type.Optional(Type.String({ maxLength: MAX_TITLE_LENGTH })),
        }),
        response: { 201: Type.Ref('Sound'), ...errorReplies(413, 415, 422) },
      },
    },
    async (request, reply) => {
      const row = await receiveUpload(request, request.userId as number, {
        db,
        fileStore,
        audioCheck: fastify.audioCheck,
        log: request.log,
        maxUploadBytes: config.MAX_UPLOAD_BYTES,
        heartbeatMs: Math.max(250, Math.floor(config.REAPER_STALE_AFTER_MS / 4)),
      });
      forgetReads();
      return reply.code(201).send(presentSound(row, config.PUBLIC_URL));
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
      await deleteSound(
        { db, fileStore, log: request.log, onUnlisted: forgetReads },
        request.params.id,
        request.userId as number,
      );
      return reply.code(204).send(null);
    },
  );
};

export default sounds;
