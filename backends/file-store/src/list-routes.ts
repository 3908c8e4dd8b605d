import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FileListing } from './schemas.ts';
import type { FileStorage, ListedFile } from './storage.ts';

export interface ListRoutesOptions {
  storage: FileStorage;
}

/** Lines are sent in batches of about this many bytes, not one write per file. */
const BATCH_BYTES = 64 * 1024;

/**
 * `GET /files/`: every stored file, one JSON object per line (`application/x-ndjson`), streamed
 * as the folder is read, so the answer for a million files is never held in memory on either
 * side. Not one of the assignment's endpoints: an internal one, for the API's consistency audit.
 * An error while reading the folder cuts the answer short (no final chunk), so a client never
 * takes part of the listing for all of it.
 */
export const listRoutes: FastifyPluginAsyncTypebox<ListRoutesOptions> = async (
  app,
  { storage },
) => {
  // `/files` too, as POST takes both.
  for (const url of ['/files/', '/files']) {
    app.get(
      url,
      {
        // HEAD stays what it was (an empty id: 400); a listing's headers say nothing.
        exposeHeadRoute: false,
        schema: {
          summary: 'List the stored files, one JSON object per line: {"name", "id"}',
          response: { 200: FileListing },
        },
      },
      async (_request, reply) => {
        reply.header('content-type', 'application/x-ndjson; charset=utf-8');
        reply.header('cache-control', 'no-store');
        return reply.send(Readable.from(listingLines(storage.listFiles()), { objectMode: false }));
      },
    );
  }
};

async function* listingLines(files: AsyncIterable<ListedFile>): AsyncGenerator<string> {
  let batch = '';
  for await (const file of files) {
    batch += `${JSON.stringify({ name: file.name, id: file.id })}\n`;
    if (batch.length >= BATCH_BYTES) {
      yield batch;
      batch = '';
    }
  }
  if (batch) yield batch;
}
