import cors from '@fastify/cors';
import fp from 'fastify-plugin';
import { USER_ID_HEADER } from './auth.ts';

/** Lets the web app (and only the origins in CORS_ORIGINS) call the API from a browser. */
export default fp(
  async (fastify) => {
    await fastify.register(cors, {
      origin: fastify.config.CORS_ORIGINS,
      methods: ['GET', 'HEAD', 'POST', 'DELETE'],
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
    });
  },
  { name: 'cors', dependencies: ['config'] },
);
