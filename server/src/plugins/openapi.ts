import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { ErrorReply } from '../schemas/common.ts';
import { Sound, SoundList } from '../schemas/sound.ts';
import { NewUser, User } from '../schemas/user.ts';

/**
 * The OpenAPI 3 document, generated from the route schemas: served at /openapi.json, browsable
 * at /docs. Shared entity schemas are registered here so every route can `$ref` them.
 */
export default fp(
  async (fastify) => {
    for (const schema of [ErrorReply, Sound, SoundList, NewUser, User]) fastify.addSchema(schema);

    await fastify.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Cloud Sound API',
          version: '1.0.0',
          description:
            'Upload, list, play and delete sounds. Protected operations identify the caller by the `X-User-Id` header.',
        },
        servers: [{ url: fastify.config.PUBLIC_URL }],
        tags: [
          { name: 'sounds', description: 'Listing, playing, uploading and deleting sounds' },
          { name: 'users', description: 'Registration and identity' },
          { name: 'health', description: 'Liveness and readiness' },
        ],
        components: {
          securitySchemes: {
            userId: {
              type: 'apiKey',
              in: 'header',
              name: 'X-User-Id',
              description: 'Your numeric user id (1..2147483647), checked with the user service',
            },
          },
        },
      },
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`),
      },
    });
    await fastify.register(swaggerUi, { routePrefix: '/docs' });

    fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
  },
  { name: 'openapi', dependencies: ['config'] },
);
