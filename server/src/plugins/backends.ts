import fp from 'fastify-plugin';
import { createFileStore, type FileStore, fileStoreLimits } from '../backends/file-store.ts';
import { backendTimeouts } from '../backends/http.ts';
import { createUserApi, type UserApi } from '../backends/user-api.ts';

declare module 'fastify' {
  interface FastifyInstance {
    userApi: UserApi;
    fileStore: FileStore;
  }
}

/** HTTP clients (undici pools) for the two internal services, closed on shutdown. */
export default fp(
  async (fastify) => {
    const { config } = fastify;
    const timeouts = backendTimeouts(config);
    const userApi = createUserApi(config.USER_API_URL, timeouts);
    const fileStore = createFileStore(config.FILE_STORE_URL, timeouts, fileStoreLimits(config));
    fastify.decorate('userApi', userApi);
    fastify.decorate('fileStore', fileStore);
    fastify.addHook('onClose', async () => {
      await Promise.all([userApi.close(), fileStore.close()]);
    });
  },
  { name: 'backends', dependencies: ['config'] },
);
