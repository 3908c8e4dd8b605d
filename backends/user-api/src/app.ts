import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { errorHandler, notFoundHandler } from './errors.ts';
import { Health } from './schemas.ts';
import { userRoutes } from './user-routes.ts';
import { openUserStore } from './user-store.ts';

export interface AppOptions {
  /** Tests pass `false`; by default the app logs at LOG_LEVEL. */
  logger?: boolean | object;
}

export async function buildApp(config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? { level: config.LOG_LEVEL },
    // The only body is `{"id": n}`; anything bigger is not a user.
    bodyLimit: 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // TypeBox checks bodies as sent: unlike Fastify's default Ajv it neither coerces "5" to 5
  // nor silently drops extra fields.
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  app.setErrorHandler(errorHandler);
  // Bodies are JSON or nothing: a text/plain one is 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  app.setNotFoundHandler(notFoundHandler);

  const users = await openUserStore(config.DATA_DIR);

  app.get(
    '/health',
    { schema: { summary: 'Liveness for Docker healthchecks', response: { 200: Health } } },
    async () => ({ status: 'ok' as const }),
  );
  await app.register(userRoutes, { users });

  return app;
}
