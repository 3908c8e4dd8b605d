import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { Redis } from 'ioredis';
import { waitUntil } from './wait.ts';

/** Where a test looks for Redis when TEST_REDIS_URL is unset (.ci/run starts one there). */
const LOCAL_REDIS = 'redis://127.0.0.1:6379';

/**
 * A REDIS_URL of the test's own on TEST_REDIS_URL's server: every key under a prefix no other
 * run uses (ioredis reads `keyPrefix` from the URL's query), so runs never see each other's
 * counts and nothing is ever flushed. What a test leaves expires with its limits' windows.
 */
export async function testRedisUrl(): Promise<string> {
  const server = process.env.TEST_REDIS_URL || LOCAL_REDIS;
  const probe = new Redis(server, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new Error(
      `this test needs a Redis (or Valkey) server: none answered at ${new URL(server).host} (${(error as Error).message}); start one (redis-server), or set TEST_REDIS_URL`,
    );
  } finally {
    probe.disconnect();
  }
  const url = new URL(server);
  url.searchParams.set('keyPrefix', `cloud-sound-test-${randomBytes(6).toString('hex')}:`);
  return url.toString();
}

/** A redis-server of the test's own, to stop (SIGKILL) and start again on the same port. */
export interface RedisServer {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Starts `redis-server` on a free loopback port, keeping nothing on disk. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const kill = () => child?.kill('SIGKILL');
  process.once('exit', kill);

  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      const started = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      child = started;
      let failure: Error | undefined;
      started.once('error', (error) => {
        failure = new Error(`cannot run redis-server (apt-get install redis-server): ${error}`);
      });
      await waitUntil(`redis-server on port ${port}`, async () => {
        if (failure) throw failure;
        return answersPing(port);
      });
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = once(running, 'exit');
      running.kill('SIGKILL');
      await exited;
    },
  };
  await server.start();
  return server;
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('error', () => resolve(false));
    socket.once('data', (data) => {
      resolve(data.toString().startsWith('+PONG'));
      socket.destroy();
    });
    socket.write('PING\r\n');
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
