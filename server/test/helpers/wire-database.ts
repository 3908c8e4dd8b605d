import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** A database the API reaches over the Postgres wire protocol, so a proxy can sit in between. */
export interface WireDatabase {
  host: string;
  port: number;
  /** The DATABASE_URL that reaches this database through a proxy on `proxyPort`. */
  urlThrough(proxyPort: number): string;
  close(): Promise<void>;
}

/**
 * The test database on TEST_DATABASE_URL's server when there is one (`databaseUrl`, made by
 * startSystem); otherwise an in-memory PGlite served over the wire by pglite-socket, so the
 * database fault tests run for real on every run.
 */
export async function startWireDatabase(databaseUrl: string | undefined): Promise<WireDatabase> {
  if (databaseUrl) {
    const url = new URL(databaseUrl);
    return {
      host: url.hostname,
      port: Number(url.port || 5432),
      urlThrough: (proxyPort) => withHostPort(url, proxyPort).toString(),
      close: async () => {},
    };
  }

  const db = await PGlite.create();
  // Room for reconnections while dropped connections are still being let go; a client over the
  // limit gets a plain-text refusal that postgres-js cannot read.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 });
  await server.start();
  const port = Number(server.getServerConn().split(':').at(-1));
  return {
    host: '127.0.0.1',
    port,
    urlThrough(proxyPort) {
      const url = withHostPort(new URL('postgres://postgres@127.0.0.1/postgres'), proxyPort);
      // PGlite is a single session: pglite-socket interleaves its clients message by message,
      // so two connections would mix up each other's unnamed statements. One connection only.
      url.searchParams.set('max', '1');
      return url.toString();
    },
    async close() {
      await server.stop();
      await db.close();
    },
  };
}

function withHostPort(url: URL, port: number): URL {
  const copy = new URL(url);
  copy.hostname = '127.0.0.1';
  copy.port = String(port);
  return copy;
}
