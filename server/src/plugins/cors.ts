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
      ],
      maxAge: 600,
    });
  },
  { name: 'cors', dependencies: ['config'] },
);
