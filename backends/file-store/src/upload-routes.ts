import { finished } from 'node:stream/promises';
import { HttpError } from '@cloud-sound/service-kit/errors';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { checkFileId } from './file-id.ts';
import { ErrorReply, UploadReply } from './schemas.ts';
import type { FileStorage } from './storage.ts';

/** busboy's stream of one file part (with its `truncated` flag). */
type FilePartStream = MultipartFile['file'];

export interface UploadRoutesOptions {
  storage: FileStorage;
  maxFileBytes: number;
}

/**
 * `POST /files/`: every file part of the form is stored under its field name, one after
 * the other, each streamed straight to disk. Parts stored before a failing part stay stored.
 */
export const uploadRoutes: FastifyPluginAsyncTypebox<UploadRoutesOptions> = async (
  app,
  { storage, maxFileBytes },
) => {
  const schema = {
    summary: 'Store the files of a multipart form; each file part’s field name is its id',
    consumes: ['multipart/form-data'],
    response: { 201: UploadReply, 400: ErrorReply, 413: ErrorReply, 415: ErrorReply },
  };

  // `curl -F id=@file URL/files/` is the documented form; `/files` is accepted too.
  for (const url of ['/files/', '/files']) {
    app.post(url, { schema }, async (request, reply) => {
      if (!request.isMultipart()) {
        throw new HttpError(415, 'NOT_MULTIPART', 'Send a multipart/form-data body');
      }
      const storedIds = new Set<string>();
      let failure: unknown = null;
      try {
        for await (const part of request.parts()) {
          if (part.type !== 'file') continue; // plain text fields carry no file
          // After a failure keep reading (and dropping) the body, so the client can send it
          // all and then read our error instead of a reset connection.
          if (failure) {
            await drain(part.file);
            continue;
          }
          try {
            const id = checkFileId(part.fieldname);
            await storage.writeFile(id, untilSizeLimit(part.file, maxFileBytes));
            storedIds.add(id);
          } catch (error) {
            // An error the part's stream was destroyed with comes from the parser (a
            // malformed or cut body); anything else (e.g. the disk) is ours.
            failure = part.file.errored ? asMultipartError(error) : error;
            await drain(part.file);
          }
        }
      } catch (error) {
        // Errors the parts iterator throws are the parser's: malformed body, limits, abort.
        failure ??= asMultipartError(error);
      }
      if (failure) throw failure;
      if (storedIds.size === 0) {
        throw new HttpError(400, 'NO_FILE', 'The form has no file part (field name = file id)');
      }
      return reply.code(201).send({ ids: [...storedIds] });
    });
  }
};

/**
 * Passes the part's bytes through and fails at its end if busboy cut it at the size limit, so
 * a truncated upload is never renamed into place (busboy ends such a stream normally).
 */
async function* untilSizeLimit(file: FilePartStream, maxFileBytes: number) {
  for await (const chunk of file) yield chunk as Buffer;
  if (file.truncated) {
    throw new HttpError(413, 'FILE_TOO_LARGE', `A file is at most ${maxFileBytes} bytes`);
  }
}

/** Reads a part to its end without keeping it; a part that is already destroyed is done. */
async function drain(file: FilePartStream): Promise<void> {
  file.resume();
  await finished(file).catch(() => {});
}

function asMultipartError(error: unknown): unknown {
  if (error instanceof Error && !('statusCode' in error)) {
    return new HttpError(400, 'MALFORMED_MULTIPART', error.message);
  }
  return error;
}
