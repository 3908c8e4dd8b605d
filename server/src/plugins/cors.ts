import cors, {
  type FastifyCorsOptions,
  type FastifyCorsOptionsDelegateCallback,
} from '@fastify/cors';
import fp from 'fastify-plugin';
import { USER_ID_HEADER } from './auth.ts';

/** What a tus client (resumable uploads, routes/uploads.ts) sends and reads. */
const TUS_REQUEST_HEADERS = ['Tus-Resumable', 'Upload-Length', 'Upload-Offset', 'Upload-Metadata'];
const TUS_RESPONSE_HEADERS = [
  'Location',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Metadata',
  'Upload-Expires',
  'Sound-Id',
];

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
        allowedHeaders: ['Content-Type', 'Range', USER_ID_HEADER, ...TUS_REQUEST_HEADERS],
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
          ...TUS_RESPONSE_HEADERS,
        ],
        maxAge: 600,
        // An OPTIONS request that is no preflight (no Origin) is answered like any other: with
        // the plugin's strict check it got a bare text/plain 400.
        strictPreflight: false,
      };
      return options;
    };
    // A tus client asks OPTIONS /uploads what the endpoint supports; only a browser's preflight
    // (Access-Control-Request-Method) is the cors plugin's to answer there.
    const delegate: FastifyCorsOptionsDelegateCallback = (request, callback) => {
      const tusDiscovery =
        request.url.startsWith('/uploads') && !request.headers['access-control-request-method'];
      callback(null, tusDiscovery ? { ...corsOptions(), preflight: false } : corsOptions());
    };
    await fastify.register(cors, () => delegate);
  },
  { name: 'cors', dependencies: ['config'] },
);
