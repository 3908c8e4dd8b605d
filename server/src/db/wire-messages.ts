/**
 * Reads the message framing of the Postgres wire protocol from a byte stream that arrives in
 * arbitrary chunks: every message is a type byte and a 32-bit length (which counts itself),
 * except a client's first message (start-up, SSL or cancel request), which has no type byte.
 * Only the framing is read; message bodies are skipped.
 */
export class WireMessages {
  /** A header split across chunks, collected here; `held` bytes of it so far. */
  private readonly header = Buffer.alloc(8);
  private held = 0;
  private bodyLeft = 0;
  private untypedNext: boolean;
  private readonly onMessage: (message: { type: number } | { requestCode: number }) => void;

  constructor(
    onMessage: (message: { type: number } | { requestCode: number }) => void,
    options: { clientSide: boolean },
  ) {
    this.onMessage = onMessage;
    this.untypedNext = options.clientSide;
  }

  push(chunk: Uint8Array): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let offset = 0;
    while (offset < bytes.length) {
      if (this.bodyLeft > 0) {
        const skipped = Math.min(this.bodyLeft, bytes.length - offset);
        this.bodyLeft -= skipped;
        offset += skipped;
        continue;
      }
      // Typed: type byte + length. Untyped: length + request code (protocol version).
      const headerLength = this.untypedNext ? 8 : 5;
      let header: Buffer;
      let at: number;
      if (this.held === 0 && bytes.length - offset >= headerLength) {
        // The usual case: the whole header is in this chunk; read it where it is.
        header = bytes;
        at = offset;
        offset += headerLength;
      } else {
        const taken = Math.min(headerLength - this.held, bytes.length - offset);
        bytes.copy(this.header, this.held, offset, offset + taken);
        this.held += taken;
        offset += taken;
        if (this.held < headerLength) return;
        header = this.header;
        at = 0;
        this.held = 0;
      }

      if (this.untypedNext) {
        this.untypedNext = false;
        this.bodyLeft = header.readInt32BE(at) - 8;
        this.onMessage({ requestCode: header.readInt32BE(at + 4) });
      } else {
        this.bodyLeft = header.readInt32BE(at + 1) - 4;
        this.onMessage({ type: header[at] as number });
      }
    }
  }
}

/** Message types and request codes the watchdog cares about (see the protocol's message formats). */
export const MESSAGE = {
  /** Client: ends an extended-protocol batch; answered by one ReadyForQuery. */
  sync: 'S'.charCodeAt(0),
  /** Client: a simple query; answered by one ReadyForQuery. */
  query: 'Q'.charCodeAt(0),
  /** Client: asks for the answers so far, without ending the batch (postgres-js: describe). */
  flush: 'H'.charCodeAt(0),
  /** Server: the server is idle again, all earlier requests answered. */
  readyForQuery: 'Z'.charCodeAt(0),
  /** Server: the last answers a Describe (plus Flush) can end with. */
  rowDescription: 'T'.charCodeAt(0),
  noData: 'n'.charCodeAt(0),
  errorResponse: 'E'.charCodeAt(0),
} as const;

export const REQUEST_CODE = {
  /** Protocol 3.0 start-up: answered, after authentication, by a ReadyForQuery. */
  startup: 196_608,
} as const;
