import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { composeRoutes } from './compose-routes.ts';
import type { Config } from './config.ts';
import { errorHandler, notFoundHandler } from './errors.ts';
import { MAX_ID_BYTES } from './file-id.ts';
import { fileRoutes } from './file-routes.ts';
import { listRoutes } from './list-routes.ts';
import { Health } from './schemas.ts';
import { openFileStorage } from './storage.ts';
import { uploadRoutes } from './upload-routes.ts';

export interface AppOptions {
  /** Tests pass `false`; by default the app logs at LOG_LEVEL. */
  logger?: boolean | object;
}

export async function buildApp(config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? { level: config.LOG_LEVEL },
    // A multi-gigabyte upload or a slowly played download may take far longer than any fixed
    // bound, so a request has no total time limit (Node's default would cut it at 5 minutes)...
    requestTimeout: 0,
    // ...but a connection that sends and receives nothing for 5 minutes is dropped.
    connectionTimeout: 5 * 60_000,
    // A path that does not percent-decode (e.g. /files/%ff) is an invalid id: same JSON error.
    frameworkErrors: errorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Validation stays with Fastify's default (Ajv): TypeBox's own compiler cannot handle the
  // wildcard's property name "*" (it builds /^*$/). The one JSON body, POST /compose's, is
  // checked strictly by TypeBox on that route alone.
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  await app.register(multipart, {
    limits: {
      fileSize: config.MAX_FILE_BYTES,
      files: 100,
      fields: 100,
      parts: 200,
      fieldSize: 64 * 1024,
      headerPairs: 100,
      // Must exceed the id limit so a long id is refused (checkFileId), never silently cut.
      // (@fastify/busboy does not enforce it today; set for when it does.)
      fieldNameSize: 4 * MAX_ID_BYTES,
    },
  });

  const storage = await openFileStorage(config.DATA_DIR);
  if (storage.removedTempFiles > 0) {
    app.log.info({ count: storage.removedTempFiles }, 'removed temp files of interrupted uploads');
  }

  app.get(
    '/health',
    { schema: { summary: 'Liveness for Docker healthchecks', response: { 200: Health } } },
    async () => ({ status: 'ok' as const }),
  );
  await app.register(uploadRoutes, { storage, maxFileBytes: config.MAX_FILE_BYTES });
  await app.register(listRoutes, { storage });
  await app.register(fileRoutes, { storage });
  await app.register(composeRoutes, { storage, maxFileBytes: config.MAX_FILE_BYTES });

  return app;
}
