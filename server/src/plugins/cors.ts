import cors, {
  type FastifyCorsOptions,
  type FastifyCorsOptionsDelegateCallback,
} from '@fastify/cors';
import fp from 'fastify-plugin';
import { USER_ID_HEADER } from './auth.ts';

/**
 * Lets the web app (and only the origins in CORS_ORIGINS) call the API from a browser. The
 * methods a preflight allows are the ones the API's routes answer, collected as routes are
 * added, so a new route needs nothing here.
 */
export default fp(
  async (fastify) => {
    const routeMethods = new Set<string>();
    fastify.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        if (method !== 'OPTIONS') routeMethods.add(method);
      }
    });

    let options: FastifyCorsOptions | undefined;
    const corsOptions = (): FastifyCorsOptions => {
      // Every route exists by the first request.
      options ??= {
        origin: fastify.config.CORS_ORIGINS,
        methods: [...routeMethods].sort(),
        allowedHeaders: ['Content-Type', 'Range', USER_ID_HEADER],
        exposedHeaders: [
          'Content-Length',
          'Content-Range',
          'Accept-Ranges',
          'ETag',
          'Content-Disposition',
          'Retry-After',
          'X-RateLimit-Limit',
          'X-RateLimit-Remaining',
          'X-RateLimit-Reset',
        ],
        maxAge: 600,
        // An OPTIONS request that is no preflight (no Origin) is answered like any other: with
        // the plugin's strict check it got a bare text/plain 400.
        strictPreflight: false,
      };
      return options;
    };
    const delegate: FastifyCorsOptionsDelegateCallback = (_request, callback) =>
      callback(null, corsOptions());
    await fastify.register(cors, () => delegate);
  },
  { name: 'cors', dependencies: ['config'] },
);
