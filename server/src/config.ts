import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { LogLevel, loadSettings, Port } from '@cloud-sound/service-kit/settings';
import { type Static, Type } from 'typebox';

const HttpUrl = (fallback: string) =>
  Type.String({ pattern: '^https?://[^\\s]+$', default: fallback });

const ConfigSchema = Type.Object({
  PORT: Port(8080),
  HOST: Type.String({ minLength: 1, default: 'localhost' }),
  /** Unset: an embedded PGlite database under DATA_DIR. */
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATA_DIR: Type.String({
    minLength: 1,
    default: fileURLToPath(new URL('../../data/server', import.meta.url)),
  }),
  USER_API_URL: HttpUrl('http://localhost:8090'),
  FILE_STORE_URL: HttpUrl('http://localhost:8081'),
  /** Base of every `audioUrl` the API hands out: how browsers reach this server. */
  PUBLIC_URL: HttpUrl('http://localhost:8080'),
  /**
   * The proxies in front of this server (comma-separated addresses, CIDR ranges, or `loopback`,
   * `linklocal`, `uniquelocal`): a request from one of them is counted as coming from the
   * address its X-Forwarded-For names, so per-client limits see clients, not the gateway, and
   * its offer to send files itself (`X-Sendfile-Type: X-Accel-Redirect`) is taken.
   * Empty: the API is reached directly and both headers are ignored (the client's to forge).
   */
  TRUST_PROXY: Type.String({ default: '' }),
  /** Comma-separated origins allowed by CORS. */
  CORS_ORIGINS: Type.String({
    default: 'http://localhost,http://localhost:5173,http://127.0.0.1:5173',
  }),
  MAX_UPLOAD_BYTES: Type.Integer({ minimum: 1, default: 100 * 1024 * 1024 }),
  /** Bytes one user's sounds may take in file_store: originals, renditions and waveforms. */
  USER_STORAGE_BYTES: Type.Integer({ minimum: 1, default: 10 * 1024 * 1024 * 1024 }),
  /** The largest resumable upload (tus, `/uploads`); multipart stays at MAX_UPLOAD_BYTES. */
  RESUMABLE_MAX_BYTES: Type.Integer({ minimum: 1, default: 4 * 1024 * 1024 * 1024 }),
  /** An unfinished resumable upload expires this long after its creation; the reaper removes it. */
  RESUMABLE_EXPIRY_MS: Type.Integer({ minimum: 1_000, default: 24 * 60 * 60 * 1000 }),
  /** Unfinished resumable uploads one user may have, and their bytes (announced lengths) in all. */
  USER_UNFINISHED_UPLOADS: Type.Integer({ minimum: 1, default: 10 }),
  USER_UNFINISHED_UPLOAD_BYTES: Type.Integer({ minimum: 1, default: 8 * 1024 * 1024 * 1024 }),
  /** Sounds one user may have waiting for processing; more uploads wait (429). */
  USER_PENDING_SOUNDS: Type.Integer({ minimum: 1, default: 100 }),
  /** An `uploading` or `deleting` row idle this long counts as abandoned and is reaped. */
  REAPER_STALE_AFTER_MS: Type.Integer({ minimum: 1000, default: 120_000 }),
  /** How often the reaper looks for abandoned rows (it also runs once at start-up). */
  REAPER_INTERVAL_MS: Type.Integer({ minimum: 100, default: 60_000 }),
  /** Calls to user_api and file_store: time to connect, to the response headers, and the
   *  longest pause between two body chunks (an idle timeout, so long transfers go on). */
  BACKEND_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 2_000 }),
  BACKEND_HEADERS_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 10_000 }),
  BACKEND_BODY_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 30_000 }),
  /** Longest wait for a free connection (or transfer slot) to a backend before answering 503. */
  BACKEND_QUEUE_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 2_000 }),
  /** Connections to file_store, per API process, by kind of traffic (see backends/file-store.ts). */
  FILE_STORE_UPLOAD_CONNECTIONS: Type.Integer({ minimum: 1, default: 32 }),
  FILE_STORE_PLAYBACK_CONNECTIONS: Type.Integer({ minimum: 1, default: 64 }),
  FILE_STORE_CONTROL_CONNECTIONS: Type.Integer({ minimum: 1, default: 8 }),
  /** Uploads and playbacks one client address may have running at once (then 429). */
  CLIENT_MAX_UPLOADS: Type.Integer({ minimum: 1, default: 4 }),
  CLIENT_MAX_PLAYBACKS: Type.Integer({ minimum: 1, default: 16 }),
  /** Live event streams (`GET /events`) one client address may hold open at once (then 429). */
  CLIENT_MAX_EVENT_STREAMS: Type.Integer({ minimum: 1, default: 8 }),
  /**
   * Redis or Valkey (`redis://host:6379`) that every replica counts rate and per-client limits
   * in, so N replicas allow the configured limit, not N times it. Unset: each process counts
   * in its own memory (right for one process).
   */
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://[^\\s]+$' })),
  /** Live events: a comment line this often keeps idle streams open through proxies. */
  EVENTS_HEARTBEAT_MS: Type.Integer({ minimum: 100, default: 15_000 }),
  /**
   * How long past events are kept for streams that come back with `Last-Event-ID`; one that
   * missed more is told to reload (`reset`).
   */
  EVENTS_RETENTION_MS: Type.Integer({ minimum: 1_000, default: 60 * 60 * 1000 }),
  /** Longest wait for the database (a connection or one query) before answering 503. */
  DATABASE_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 5_000 }),
  /** Client sockets: dropped after this long without a byte (slow-loris, stalled uploads). */
  SOCKET_IDLE_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 60_000 }),
  /** Time a client has to send its complete request headers. */
  HEADERS_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 10_000 }),
  /**
   * After answering a request before its body has arrived (a refused upload), how long and how
   * much more of the body is read and thrown away before the connection is closed, so the
   * client, still sending, gets to read the answer (nginx's lingering close).
   */
  LINGER_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 10_000 }),
  LINGER_MAX_BYTES: Type.Integer({ minimum: 0, default: 128 * 1024 * 1024 }),
  /** Rate limits, per client address and window: accounts created, and uploads. */
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1, default: 60_000 }),
  RATE_LIMIT_USER_CREATIONS: Type.Integer({ minimum: 1, default: 20 }),
  RATE_LIMIT_UPLOADS: Type.Integer({ minimum: 1, default: 60 }),
  /** Identity checks that name an unknown user (401): beyond this, 429 until the window ends. */
  RATE_LIMIT_FAILED_IDENTITY_CHECKS: Type.Integer({ minimum: 1, default: 30 }),
  /**
   * The upload check, ffprobe on the stored file: its CPU time (the wall clock allows twice as
   * much; killed past either), its address space, and how many run at once in this process.
   */
  MEDIA_CHECK_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5_000 }),
  MEDIA_CHECK_MEMORY_MB: Type.Integer({ minimum: 256, default: 512 }),
  MEDIA_CHECK_CONCURRENCY: Type.Integer({ minimum: 1, default: 4 }),
  /**
   * How long a stored upload may wait for a free check before 503: its bytes are all in by
   * then, so waiting out a burst of uploads beats asking the client to send them again.
   */
  MEDIA_CHECK_QUEUE_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 30_000 }),
  /**
   * Processing (waveform, listening rendition, exact duration) with ffmpeg: jobs run at once in
   * this process (0: none here, a worker process does them), how often an idle runner looks for
   * due jobs, attempts before a sound is `failed`, the wait before the second attempt (doubling
   * after), and each attempt's budget: wall time, CPU time and memory of its ffmpeg.
   */
  PROCESSING_CONCURRENCY: Type.Integer({ minimum: 0, default: 1 }),
  PROCESSING_POLL_MS: Type.Integer({ minimum: 50, default: 1_000 }),
  PROCESSING_MAX_ATTEMPTS: Type.Integer({ minimum: 1, default: 3 }),
  /** The wait before a job's second attempt; it doubles with each attempt, up to 32 times this. */
  PROCESSING_RETRY_DELAY_MS: Type.Integer({ minimum: 0, default: 10_000 }),
  /**
   * A claimed job's lease, renewed every third of it while its attempt runs: after a crash,
   * another process takes the job over once this has passed.
   */
  PROCESSING_LEASE_MS: Type.Integer({ minimum: 300, default: 30_000 }),
  PROCESSING_TIMEOUT_MS: Type.Integer({ minimum: 1_000, default: 600_000 }),
  PROCESSING_CPU_SECONDS: Type.Integer({ minimum: 1, default: 600 }),
  PROCESSING_MEMORY_MB: Type.Integer({ minimum: 64, default: 1024 }),
  /**
   * The longest sound accepted (3 hours). Shorter still for a small file: no sound may be longer
   * than its bytes can hold at 2 kbit/s (see processing/budget.ts).
   */
  MAX_DURATION_MS: Type.Integer({ minimum: 1_000, default: 3 * 60 * 60 * 1000 }),
  /** The ffmpeg and ffprobe to run (names on PATH or paths). */
  FFMPEG_PATH: Type.String({ minLength: 1, default: 'ffmpeg' }),
  FFPROBE_PATH: Type.String({ minLength: 1, default: 'ffprobe' }),
  /** How long listing pages and sound lookups may be answered from memory (0: never). This
   *  replica's own uploads and deletes show at once; other replicas' within this time. */
  READ_CACHE_TTL_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1_000 }),
  LOG_LEVEL: LogLevel,
});

type RawConfig = Static<typeof ConfigSchema>;

/** The settings as the environment gives them: any of the variables above, as text. */
export type Settings = { [Name in keyof RawConfig]?: string };

export type Config = Omit<RawConfig, 'CORS_ORIGINS' | 'TRUST_PROXY'> & {
  CORS_ORIGINS: string[];
  /** The trusted proxies; empty: none. */
  TRUST_PROXY: string[];
};

/** The names proxy-addr (Fastify's trustProxy) gives to address ranges. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

function commaList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** Reads and validates the settings once; a wrong value throws with the variable's name. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw = loadSettings('server', ConfigSchema, env);
  const origins = commaList(raw.CORS_ORIGINS);
  for (const origin of origins) {
    if (!URL.canParse(origin))
      throw new Error(`server: invalid settings: CORS_ORIGINS has "${origin}", not a URL`);
  }
  const proxies = commaList(raw.TRUST_PROXY);
  for (const proxy of proxies) {
    if (!isProxyAddress(proxy)) {
      throw new Error(
        `server: invalid settings: TRUST_PROXY has "${proxy}", not an address, a CIDR range, loopback, linklocal or uniquelocal`,
      );
    }
  }
  return { ...raw, CORS_ORIGINS: origins, TRUST_PROXY: proxies };
}
