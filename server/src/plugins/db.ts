import fp from 'fastify-plugin';
import { type Database, type DatabaseHandle, openDatabase } from '../db/client.ts';
import { sql } from '../db/orm.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
    /** Calls `onNotice` for every NOTIFY on `channel` (see DatabaseHandle.listen). */
    listenToDatabase: DatabaseHandle['listen'];
    /** Resolves when the database answers a trivial query (readiness). */
    pingDatabase(): Promise<void>;
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
    fastify.decorate('listenToDatabase', handle.listen);
    fastify.decorate('pingDatabase', async () => {
      await handle.db.execute(sql`select 1`);
    });
    fastify.addHook('onClose', () => handle.close());
  },
  { name: 'db', dependencies: ['config'] },
);
