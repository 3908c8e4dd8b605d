import fp from 'fastify-plugin';
import { type Database, openDatabase } from '../db/client.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
  }
}

/** Opens the database (Postgres or embedded PGlite), migrates it, and closes it on shutdown. */
export default fp(
  async (fastify) => {
    const handle = await openDatabase({
      databaseUrl: fastify.config.DATABASE_URL,
      dataDir: fastify.config.DATA_DIR,
      timeoutMs: fastify.config.DATABASE_TIMEOUT_MS,
    });
    fastify.log.info({ driver: handle.driver }, 'database ready');
    fastify.decorate('db', handle.db);
    fastify.addHook('onClose', () => handle.close());
  },
  { name: 'db', dependencies: ['config'] },
);
