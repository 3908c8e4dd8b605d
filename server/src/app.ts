import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import multipart from '@fastify/multipart';
import { registerAjvFormats } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyHttpOptions,
  type FastifyInstance,
  type FastifyServerOptions,
} from 'fastify';
import type { Config } from './config.ts';
import {
  answerUnmetExpectation,
  clientErrorHandler,
  frameworkErrors,
} from './lib/http-refusals.ts';
import { validatorCompiler } from './lib/validation.ts';
import auth from './plugins/auth.ts';
import backends from './plugins/backends.ts';
import clientLimits from './plugins/client-limits.ts';
import configPlugin from './plugins/config.ts';
import cors from './plugins/cors.ts';
import db from './plugins/db.ts';
import errors from './plugins/errors.ts';
import events from './plugins/events.ts';
import linger from './plugins/linger.ts';
import openapi from './plugins/openapi.ts';
import processing from './plugins/processing.ts';
import rateLimit from './plugins/rate-limit.ts';
import redis from './plugins/redis.ts';
import security from './plugins/security.ts';
import soundsService from './plugins/sounds.ts';
import uploadCheck from './plugins/upload-check.ts';
import resumableUploads from './plugins/uploads.ts';
import { eventsRoutes } from './routes/events.ts';
import { healthRoutes } from './routes/health.ts';
import { limitsRoutes } from './routes/limits.ts';
import { soundRoutes } from './routes/sounds.ts';
import { uploadRoutes } from './routes/uploads.ts';
import { userRoutes } from './routes/users.ts';

registerAjvFormats();

const REQUEST_TIMEOUT_MS = 60 * 60_000;

/** What an X-Request-Id may look like to be used as the log's request id. */
const REQUEST_ID = /^[\w.:-]{1,100}$/;

/**
 * Each request's id in the logs: the X-Request-Id a client or a proxy sent (so that one request
 * can be followed through the gateway and across replicas), or a fresh UUID, unique across
 * replicas as a counter would not be. A header that does not look like an id is ignored, so
 * nothing odd reaches the logs.
 */
function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * The Fastify server options, shared by production and the tests so the two never drift.
 * Timeouts are chosen for uploads: a socket idle for SOCKET_IDLE_TIMEOUT_MS (a minute) is
 * dropped, but a request may take up to an hour as long as bytes keep moving (100 MiB at
 * 256 kbit/s takes ~55 minutes). Headers are small, so they get only HEADERS_TIMEOUT_MS: a
 * client that dribbles them byte by byte (slow-loris) cannot hold a connection for the hour.
 */
export function serverOptions(
  config: Config,
  logger: FastifyServerOptions['logger'] = true,
): FastifyHttpOptions<Server> {
  return {
    logger: logger === true ? { level: config.LOG_LEVEL } : logger,
    genReqId: requestId,
    http: {
      // Node refuses a headers timeout longer than the request timeout, so it gets both.
      requestTimeout: REQUEST_TIMEOUT_MS,
      headersTimeout: config.HEADERS_TIMEOUT_MS,
      // Node checks the headers and request deadlines on this timer (30 s by default), so a
      // deadline is only as sharp as the interval.
      connectionsCheckingInterval: Math.min(1_000, config.HEADERS_TIMEOUT_MS),
    },
    connectionTimeout: config.SOCKET_IDLE_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: 10_000,
    // JSON bodies here are a user id; uploads stream past this limit through multipart.
    bodyLimit: 16 * 1024,
    return503OnClosing: true,
    // Start-up waits for the database plugin's migrations however long they take: one that
    // rewrites a large table takes minutes (the launcher's and compose's health checks still
    // bound a start that hangs).
    pluginTimeout: 0,
    // Behind the gateway, `request.ip` is the client's address as the gateway saw it.
    trustProxy: config.TRUST_PROXY.length > 0 ? config.TRUST_PROXY : false,
    // HEAD is answered where the document says so (a sound's files), not on every GET.
    exposeHeadRoutes: false,
    // Requests refused before any route sees them still get our error shape.
    clientErrorHandler: clientErrorHandler({
      timeoutMs: config.LINGER_TIMEOUT_MS,
      maxBytes: config.LINGER_MAX_BYTES,
    }),
    frameworkErrors,
    forceCloseConnections: 'idle',
  };
}

/**
 * On shutdown, `forceCloseConnections: 'idle'` only closes connections idle at that moment; a
 * keep-alive connection whose request is still running would stay open (and hold the process)
 * until its keep-alive timeout. Close each one as soon as its last request finishes.
 */
function closeConnectionsAsRequestsFinish(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onResponse', async () => {
    if (closing) setImmediate(() => app.server.closeIdleConnections());
  });
}

/** Builds the API: external plugins, then our services, then the routes. */
export async function buildApp(
  config: Config,
  options: { logger?: FastifyServerOptions['logger'] } = {},
): Promise<FastifyInstance> {
  const app = Fastify(serverOptions(config, options.logger ?? true));
  app.setValidatorCompiler(validatorCompiler);
  closeConnectionsAsRequestsFinish(app);
  app.server.on('checkExpectation', answerUnmetExpectation);

  await app.register(configPlugin, { config });
  await app.register(errors);
  await app.register(linger);
  // Before cors, which answers preflights itself: those get the security headers too. Both
  // this and rate-limit watch routes as they are added (onRoute), so they come before any.
  await app.register(security);
  await app.register(cors);
  await app.register(redis);
  await app.register(rateLimit);
  await app.register(clientLimits);
  await app.register(multipart);

  await app.register(db);
  await app.register(backends);
  await app.register(uploadCheck);
  await app.register(auth);
  await app.register(processing);
  await app.register(soundsService);
  await app.register(resumableUploads);
  await app.register(events);
  // Last before the routes: every plugin that documents routes (auth, limits, errors) has
  // added its onRoute hook by now, and the document sees what they add.
  await app.register(openapi);

  await app.register(healthRoutes);
  await app.register(limitsRoutes);
  await app.register(userRoutes);
  await app.register(soundRoutes);
  await app.register(uploadRoutes);
  await app.register(eventsRoutes);
  return app;
}

/**
 * The processing worker: the same settings, database and backends as the API, and its job
 * runner, without HTTP routes or a listening socket (see worker.ts).
 */
export async function buildWorker(config: Config): Promise<FastifyInstance> {
  const worker = Fastify({ logger: { level: config.LOG_LEVEL } });
  await worker.register(configPlugin, { config });
  await worker.register(db);
  await worker.register(backends);
  await worker.register(processing);
  return worker;
}
