import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NodeRequest } from 'srvx/node';
import { Type } from 'typebox';
import { Errors } from '../lib/errors.ts';
import { errorReplies, errorReply } from '../schemas/replies.ts';
import {
  asApiError,
  runTusCall,
  SOUND_ID_HEADER,
  type TusCall,
  UPLOAD_ID_PATTERN,
  UPLOADS_PATH,
} from '../uploads/tus.ts';

const UploadParams = Type.Object({
  id: Type.String({ pattern: UPLOAD_ID_PATTERN, description: 'The upload’s id (from `Location`)' }),
});

const UPLOAD_ID = new RegExp(UPLOAD_ID_PATTERN);

const header = (description: string) => Type.String({ description });
const TUS_RESUMABLE = { 'Tus-Resumable': Type.Literal('1.0.0') };
const OFFSET = { 'Upload-Offset': header('Bytes of the upload the server has, in decimal') };
const EXPIRES = {
  'Upload-Expires': header('When the unfinished upload will be removed (an HTTP date)'),
};
const SOUND_ID = {
  [SOUND_ID_HEADER]: Type.String({
    format: 'uuid',
    description: 'Once the last byte is in: the sound the upload became (`GET /sounds/{id}`)',
  }),
};
const NOT_YOURS = {
  404: {
    ...errorReply(404),
    description:
      'No upload of yours has this id (someone else’s answers the same), `UPLOAD_NOT_FOUND`',
  },
};
const noContent = (description: string, headers: object) => ({
  ...Type.Null(),
  description,
  headers,
});

/**
 * tus 1.0 (https://tus.io/protocols/resumable-upload), for uploads up to RESUMABLE_MAX_BYTES
 * that survive lost connections, restarts and a change of replica: each request is checked
 * here (the user; the upload is theirs) and then handed to @tus/server (uploads/tus.ts), whose
 * answer goes out through Fastify, so every hook (CORS, security headers, lingering close,
 * limits) applies and errors have the API's shape.
 */
export const uploadRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { tus, resumableUploads, config } = fastify;
  // tus reads the bytes itself, whatever their declared type.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  async function handOver(request: FastifyRequest, reply: FastifyReply, upload?: { id: string }) {
    const uploadId = upload?.id ?? '';
    const call: TusCall = { userId: request.userId ?? 0 };
    const answer = await runTusCall(call, () =>
      tus.handleWeb(new NodeRequest({ req: request.raw, res: reply.raw })),
    );
    for (const [name, value] of answer.headers) {
      // CORS is the cors plugin's (tus would allow any origin); lengths and connection
      // handling are Fastify's.
      if (/^(access-control-|content-length$|connection$)/i.test(name)) continue;
      reply.header(name, value);
    }
    if (call.error !== undefined)
      throw asApiError(call.error, uploadId, config.RESUMABLE_MAX_BYTES);
    if (answer.status >= 400) {
      const body = await answer.text();
      throw asApiError({ status_code: answer.status, body }, uploadId, config.RESUMABLE_MAX_BYTES);
    }
    return reply.code(answer.status).send(undefined);
  }

  /** The upload, if it is the caller's: anyone else's is as unknown as one that never was. */
  async function ownUpload(request: FastifyRequest<{ Params: { id: string } }>) {
    const upload = UPLOAD_ID.test(request.params.id)
      ? await resumableUploads.find(request.params.id)
      : undefined;
    if (!upload || upload.userId !== request.userId) {
      throw new Errors.uploadNotFound(request.params.id);
    }
    return upload;
  }

  // Every route on one upload: the user is checked first (401 before anything else), then the
  // id, by ownUpload (a malformed id is as unknown as someone else's: 404).
  const oneUpload = { preHandler: fastify.requireUser, validatorCompiler: () => () => true };
  const uploadSchema = {
    tags: ['uploads'],
    params: UploadParams,
    security: [{ userId: [] }],
  };

  fastify.route({
    method: 'OPTIONS',
    url: UPLOADS_PATH,
    schema: {
      operationId: 'getUploadCapabilities',
      tags: ['uploads'],
      summary: 'What the tus endpoint supports',
      description:
        'The tus version, extensions (creation, creation-with-upload, termination, expiration) and the largest upload. A browser’s CORS preflight is answered by the CORS rules instead.',
      response: {
        204: noContent('The capabilities', {
          'Tus-Version': Type.Literal('1.0.0'),
          'Tus-Extension': header('Comma-separated extensions'),
          'Tus-Max-Size': header('The largest upload, in bytes (RESUMABLE_MAX_BYTES)'),
        }),
      },
    },
    handler: (request, reply) => handOver(request, reply),
  });

  fastify.route({
    method: 'POST',
    url: UPLOADS_PATH,
    preHandler: fastify.requireUser,
    config: { concurrency: 'uploads', rateLimited: 'uploads' },
    // tus checks the headers and reads the body; the schema documents them.
    validatorCompiler: () => () => true,
    schema: {
      operationId: 'createUpload',
      tags: ['uploads'],
      summary: 'Start a resumable upload (tus creation)',
      description: `tus 1.0 creation, and creation-with-upload when a body is sent. \`Upload-Length\` is the file's size (at most ${config.RESUMABLE_MAX_BYTES} bytes); \`Upload-Metadata\` may carry \`filename\` and \`title\` (base64). Each user may have ${config.USER_UNFINISHED_UPLOADS} unfinished uploads of ${config.USER_UNFINISHED_UPLOAD_BYTES} bytes in all; an unfinished upload expires after ${config.RESUMABLE_EXPIRY_MS} ms. The first bytes are judged as they arrive: what is plainly not sound is refused (415) before the rest is sent.`,
      headers: Type.Object({
        'tus-resumable': Type.Optional(Type.Literal('1.0.0')),
        'upload-length': Type.Optional(header('The whole file’s size in bytes')),
        'upload-metadata': Type.Optional(
          header('`filename <base64>,title <base64>`: the file’s name and a title'),
        ),
      }),
      consumes: ['application/offset+octet-stream'],
      response: {
        201: noContent('Created; send the bytes to `Location` with PATCH', {
          Location: header('The upload’s URL'),
          ...TUS_RESUMABLE,
          ...EXPIRES,
          ...OFFSET,
          ...SOUND_ID,
        }),
        ...errorReplies(400, 412, 413, 415, 422, 429, 503),
      },
    },
    handler: (request, reply) => handOver(request, reply),
  });

  fastify.route<{ Params: { id: string } }>({
    method: 'HEAD',
    url: `${UPLOADS_PATH}/:id`,
    ...oneUpload,
    schema: {
      ...uploadSchema,
      operationId: 'getUploadOffset',
      summary: 'Where to resume an upload (tus HEAD)',
      description:
        'How many bytes the server has (`Upload-Offset`): resume from there. A finished upload also says which sound it became (`Sound-Id`); one whose last byte arrived but whose sound could not be published then (storage unavailable) is published now.',
      response: {
        200: noContent('The upload’s state', {
          ...TUS_RESUMABLE,
          ...OFFSET,
          'Upload-Length': header('The whole file’s size in bytes'),
          'Upload-Metadata': header('As sent at creation'),
          'Cache-Control': Type.Literal('no-store'),
          ...SOUND_ID,
        }),
        // 409, 413, 415, 422: a complete upload published now (see above) meets what its last
        // PATCH would have: another request finishing it, or the file refused.
        ...errorReplies(400, 409, 410, 413, 415, 422, 503),
        ...NOT_YOURS,
      },
    },
    handler: async (request, reply) => {
      let upload = await ownUpload(request);
      if (upload.offset === upload.length && !upload.soundId) {
        await resumableUploads.finish(upload.id);
        upload = await ownUpload(request);
      }
      if (upload.soundId) reply.header(SOUND_ID_HEADER, upload.soundId);
      return handOver(request, reply, upload);
    },
  });

  fastify.route<{ Params: { id: string } }>({
    method: 'PATCH',
    url: `${UPLOADS_PATH}/:id`,
    ...oneUpload,
    config: { concurrency: 'uploads' },
    schema: {
      ...uploadSchema,
      operationId: 'appendToUpload',
      summary: 'Send bytes of an upload (tus PATCH)',
      description:
        '`Upload-Offset` must equal the server’s (409 otherwise: ask with HEAD). A request cut off keeps what arrived. Send chunks of at most 8 MiB behind proxies that cap bodies; one upload may arrive in at most 10,000 requests. When the last byte is in, the file is judged and published exactly like `POST /sounds`, and the answer names the sound (`Sound-Id`).',
      headers: Type.Object({
        'tus-resumable': Type.Optional(Type.Literal('1.0.0')),
        'upload-offset': Type.Optional(header('Where these bytes start')),
      }),
      consumes: ['application/offset+octet-stream'],
      body: Type.String({ format: 'binary', description: 'The next bytes of the file' }),
      response: {
        204: noContent('Received', { ...TUS_RESUMABLE, ...OFFSET, ...EXPIRES, ...SOUND_ID }),
        ...errorReplies(400, 409, 410, 412, 413, 415, 422, 429, 503),
        ...NOT_YOURS,
      },
    },
    handler: async (request, reply) => handOver(request, reply, await ownUpload(request)),
  });

  fastify.route<{ Params: { id: string } }>({
    method: 'DELETE',
    url: `${UPLOADS_PATH}/:id`,
    ...oneUpload,
    schema: {
      ...uploadSchema,
      operationId: 'cancelUpload',
      summary: 'Cancel an upload (tus termination)',
      description: 'Removes the upload and every byte of it received so far.',
      response: {
        204: noContent('Cancelled', TUS_RESUMABLE),
        ...errorReplies(400, 412, 503),
        ...NOT_YOURS,
      },
    },
    handler: async (request, reply) => handOver(request, reply, await ownUpload(request)),
  });
};
