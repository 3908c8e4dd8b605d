import { createHash } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { USER_ID_RANGE } from '../contract.ts';
import { SHARED_SCHEMAS } from '../schemas/shared.ts';

/**
 * The OpenAPI 3 document, generated from the route schemas: served at /openapi.json, browsable
 * at /docs. Shared entity schemas are registered here so every route can `$ref` them.
 */
export default fp(
  async (fastify) => {
    for (const schema of SHARED_SCHEMAS) fastify.addSchema(schema);

    await fastify.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Cloud Sound API',
          version: '1.0.0',
          description:
            'Upload, list, search, play, rename and delete sounds. Protected operations identify the caller by the `X-User-Id` header. Every error is an `ApiError` with a stable `code`.',
          license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
          contact: { name: 'Cloud Sound', url: `${fastify.config.PUBLIC_URL}/docs` },
        },
        servers: [{ url: fastify.config.PUBLIC_URL, description: 'This API (PUBLIC_URL)' }],
        tags: [
          { name: 'sounds', description: 'Listing, playing, uploading and deleting sounds' },
          {
            name: 'uploads',
            description: 'Resumable uploads (tus 1.0): up to 4 GiB, across lost connections',
          },
          { name: 'users', description: 'Registration and identity' },
          { name: 'health', description: 'Liveness and readiness' },
          { name: 'meta', description: 'What a client needs to know about this API' },
        ],
        components: {
          securitySchemes: {
            userId: {
              type: 'apiKey',
              in: 'header',
              name: 'X-User-Id',
              description: `Your numeric user id (${USER_ID_RANGE.minimum}..${USER_ID_RANGE.maximum}), checked with the user service`,
            },
          },
        },
      },
      // The HEAD operations (a sound's files) are declared routes of their own, with their own
      // operationIds, to which the plugin appends `-head` (made for copies of GET routes).
      exposeHeadRoutes: true,
      transformObject: (document) =>
        withoutHeadSuffix(
          'openapiObject' in document ? document.openapiObject : document.swaggerObject,
        ),
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`),
      },
    });
    await fastify.register(swaggerUi, { routePrefix: '/docs' });

    // The document is the same for the life of the process: serialised once, on first request
    // (every route is known by then), with an ETag so a client that has it gets a 304.
    let served: { body: string; etag: string } | undefined;
    fastify.get('/openapi.json', { schema: { hide: true } }, async (request, reply) => {
      if (!served) {
        const body = JSON.stringify(fastify.swagger());
        served = { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
      }
      void reply.header('etag', served.etag).header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === served.etag) return reply.code(304).send();
      return reply.type('application/json; charset=utf-8').send(served.body);
    });
  },
  { name: 'openapi', dependencies: ['config'] },
);

function withoutHeadSuffix<T>(document: T): T {
  const paths = (document as { paths?: Record<string, { head?: { operationId?: string } }> }).paths;
  for (const item of Object.values(paths ?? {})) {
    if (item.head?.operationId) item.head.operationId = item.head.operationId.replace(/-head$/, '');
  }
  return document;
}
