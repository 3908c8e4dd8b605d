import fc from 'fast-check';
import { PNG_BYTES, wavTone } from './audio.ts';
import {
  aiffWithManyChunks,
  ffmpegAudio,
  flacWithCommentBomb,
  mp3WithManyTxxxFrames,
  mp3WithTextListBomb,
  mp4WithIlstBomb,
  oggWithCommentBomb,
  wavWithManyChunks,
  webmWithTagsBomb,
} from './media-files.ts';
import type { RawRequest } from './raw-http.ts';

/**
 * fast-check arbitraries that build requests from the API's OpenAPI document: for each
 * operation, values its schemas allow mixed with values they forbid, in the path, the query,
 * the headers and the body, and bodies framed oddly. Valid values are common enough that many
 * requests get past validation and into the handlers.
 */

interface Schema {
  type?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  $ref?: string;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  schema: Schema;
}

interface OpenApiOperation {
  parameters?: Parameter[];
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, Schema> };
}

/** One operation of the document, as far as a request for it needs. */
export interface Operation {
  method: string;
  /** The path template, e.g. `/sounds/{id}`. */
  path: string;
  pathParams: Parameter[];
  queryParams: Parameter[];
  /** Whether it names `X-User-Id` as its security scheme. */
  needsUser: boolean;
  body?: { contentType: string; schema: Schema };
}

/** What the system holds, so that some requests name things that exist. */
export interface FuzzContext {
  userId: number;
  otherUserId: number;
  soundIds: string[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export function operationsOf(document: OpenApiDocument): Operation[] {
  const resolve = (schema: Schema): Schema => {
    const name = schema.$ref?.replace('#/components/schemas/', '');
    return name ? (document.components?.schemas?.[name] ?? {}) : schema;
  };
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => {
        const parameters = operation.parameters ?? [];
        const [contentType, media] = Object.entries(operation.requestBody?.content ?? {})[0] ?? [];
        return {
          method: method.toUpperCase(),
          path,
          pathParams: parameters.filter((parameter) => parameter.in === 'path'),
          queryParams: parameters.filter((parameter) => parameter.in === 'query'),
          needsUser: (operation.security ?? []).length > 0,
          ...(contentType && media ? { body: { contentType, schema: resolve(media.schema) } } : {}),
        };
      }),
  );
}

const ODD_TEXT = [
  '',
  ' ',
  '0',
  '-1',
  '1.5',
  '1e3',
  '0x1F',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e9999',
  '-1e9999',
  '1E5',
  '0b101',
  '0o17',
  '1_000',
  '５',
  '-0',
  '+1',
  '007',
  '2147483647',
  '2147483648',
  '9'.repeat(40),
  'null',
  'true',
  '[]',
  '{}',
  '%',
  '%00',
  '%ff',
  '%2e%2e%2f',
  '../../etc/passwd',
  '\u0000',
  'a\u0000b',
  '\u007f',
  '\u001b[31m',
  '\u0007',
  '\r\n',
  '\u0085',
  '\u009b',
  '\u2028',
  '\u2066',
  '🎵',
  'é',
  'ß',
  '\u202e',
  '\ufeff',
  '"',
  "'",
  '\\',
  '<script>',
  'a,b',
  ';',
  '=',
  '&',
  '#',
  '?',
];

/** Text no schema here allows, or allows only by accident: odd numbers, unicode, huge. */
export const oddText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ODD_TEXT) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.integer({ min: 300, max: 20_000 }).map((n) => 'x'.repeat(n)) },
);

/** Text the schema allows (ids that exist among them), as a path or query value is written. */
function validText(schema: Schema, context: FuzzContext): fc.Arbitrary<string> {
  if (schema.type === 'integer') {
    const integers = fc.integer({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6 });
    const users = fc.constantFrom(context.userId, context.otherUserId);
    return fc.oneof(integers, users).map(String);
  }
  if (schema.format === 'uuid') return fc.oneof(fc.constantFrom(...context.soundIds), fc.uuid());
  return fc.string({
    minLength: schema.minLength ?? 0,
    maxLength: Math.min(schema.maxLength ?? 50, 50),
  });
}

/**
 * Cursors shaped like the API's own (base64url of a JSON `[time, id]`) but with times no page
 * ever ends at: beyond Postgres's years, impossible dates, offsets, numbers, junk.
 */
const forgedCursor: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(
        '+200000-01-01T00:00:00.000Z',
        '+275760-09-13T00:00:00.000Z',
        '-000001-01-01T00:00:00.000Z',
        '0000-01-01T00:00:00.000Z',
        '9999-12-31T23:59:59.999Z',
        '2024-02-30T00:00:00.000Z',
        '2024-01-01T00:00:00.000+01:00',
      ),
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      fc.double(),
      oddText,
    ),
    fc.oneof(fc.uuid(), oddText),
  )
  .map((position) => Buffer.from(JSON.stringify(position)).toString('base64url'));

function textFor(schema: Schema, context: FuzzContext, name?: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: validText(schema, context) },
    { weight: 2, arbitrary: oddText },
    ...(name === 'cursor' ? [{ weight: 3, arbitrary: forgedCursor }] : []),
  );
}

/** Percent-encodes every byte outside the unreserved set (lone surrogates become U+FFFD). */
function percentEncode(text: string): string {
  let encoded = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).padStart(2, '0')}`;
  }
  return encoded;
}

/** Mostly percent-encoded; sometimes raw (minus CR and LF, which would end the request line). */
const inUrl = (text: fc.Arbitrary<string>) =>
  fc
    .tuple(text, fc.integer({ min: 0, max: 5 }))
    .map(([value, dice]) => (dice === 0 ? value.replace(/[\r\n]/g, '') : percentEncode(value)));

function pathFor(operation: Operation, context: FuzzContext): fc.Arbitrary<string> {
  const values = operation.pathParams.map((parameter) =>
    inUrl(textFor(parameter.schema, context)).map((value) => [parameter.name, value] as const),
  );
  return fc
    .tuple(...values)
    .map((pairs) =>
      pairs.reduce((path, [name, value]) => path.replace(`{${name}}`, value), operation.path),
    );
}

/** Each declared parameter absent, once, or repeated; sometimes unknown ones too. */
function queryFor(operation: Operation, context: FuzzContext): fc.Arbitrary<string> {
  const declared = operation.queryParams.map((parameter) =>
    fc.option(
      fc.array(
        inUrl(textFor(parameter.schema, context, parameter.name)).map(
          (value) => `${parameter.name}=${value}`,
        ),
        { minLength: 1, maxLength: 3 },
      ),
      { nil: [] as string[], freq: 2 },
    ),
  );
  const keys = [...operation.queryParams.map((parameter) => `${parameter.name}[]`), '__proto__'];
  const unknown = fc.array(
    fc
      .tuple(inUrl(fc.oneof(fc.constantFrom(...keys), oddText)), inUrl(oddText))
      .map(([key, value]) => `${key}=${value}`),
    { maxLength: 2 },
  );
  return fc
    .tuple(fc.tuple(...declared), unknown)
    .map(([pairs, extra]) => [...pairs.flat(), ...extra].join('&'))
    .map((query) => (query ? `?${query}` : ''));
}

/** Header values may hold any byte but CR and LF (those would end the header). */
const headerText = oddText.map((text) => text.replace(/[\r\n]/g, ''));

function userHeaders(operation: Operation, context: FuzzContext) {
  const header = (value: string): Array<[string, string]> => [['X-User-Id', value]];
  const valid = fc.constantFrom(String(context.userId), String(context.otherUserId));
  if (!operation.needsUser) {
    return fc.oneof(
      { weight: 4, arbitrary: fc.constant([] as Array<[string, string]>) },
      { weight: 1, arbitrary: headerText.map(header) },
    );
  }
  return fc.oneof(
    { weight: 6, arbitrary: valid.map(header) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 2_147_483_647 }).map(String).map(header) },
    { weight: 2, arbitrary: headerText.map(header) },
    { weight: 1, arbitrary: fc.constant([] as Array<[string, string]>) },
    { weight: 1, arbitrary: valid.map((id) => [...header(id), ...header(id)]) },
  );
}

const RANGES = [
  'bytes=0-',
  'bytes=0-0',
  'bytes=0-1',
  'bytes=-1',
  'bytes=-0',
  'bytes=5-1',
  'bytes=0-1,2-3',
  'bytes=0-1, 5-',
  'bytes=1000000-',
  'bytes=99999999999999999999-',
  'bytes=',
  'bytes=-',
  'bytes= 0-1',
  'bytes=abc',
  'items=0-1',
];

const rangeValue = fc.oneof(
  fc.constantFrom(...RANGES),
  fc.tuple(fc.nat(100_000), fc.nat(100_000)).map(([from, to]) => `bytes=${from}-${to}`),
  headerText,
);

const ODD_HEADER_NAMES = [
  'Range',
  'If-Range',
  'If-None-Match',
  'If-Modified-Since',
  'Accept',
  'Accept-Encoding',
  'Origin',
  'Cookie',
  'Authorization',
  'X-Forwarded-For',
  'Content-Encoding',
  'Expect',
  'Content-Type',
  'X-User-Id',
];

/** A Range header (often, on reads) and a few others with odd values, some repeated. */
function otherHeaders(operation: Operation): fc.Arbitrary<Array<[string, string]>> {
  const range = fc.option(
    rangeValue.map((value): Array<[string, string]> => [['Range', value]]),
    { nil: [], freq: operation.method === 'GET' ? 2 : 6 },
  );
  const odd = fc.array(
    fc.tuple(
      fc.constantFrom(...ODD_HEADER_NAMES),
      fc.oneof(rangeValue, headerText, fc.constantFrom('*', '100-continue', 'gzip')),
    ),
    { maxLength: 3 },
  );
  return fc.tuple(range, odd).map(([first, rest]) => [...first, ...rest]);
}

interface Body {
  contentType: string | undefined;
  bytes: Buffer;
}

/** A JSON body: valid, of wrong types, with keys missing, extra or duplicated, huge, or no JSON. */
function jsonBody(schema: Schema, context: FuzzContext): fc.Arbitrary<Body> {
  const properties = Object.entries(schema.properties ?? {});
  const validObject = fc.record(
    Object.fromEntries(properties.map(([name, property]) => [name, validValue(property, context)])),
  );
  const anyValue = fc.oneof(
    fc.string(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.object({ maxDepth: 1 }),
  );
  const names = properties.map(([name]) => name);
  const someName = names.length > 0 ? fc.constantFrom(...names) : fc.constant('id');
  const text = fc.oneof(
    { weight: 4, arbitrary: validObject.map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
    {
      weight: 2,
      arbitrary: fc
        .dictionary(someName, anyValue, { maxKeys: names.length || 1 })
        .map((value) => JSON.stringify(value)),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(validObject, fc.string({ maxLength: 10 }), anyValue)
        .map(([value, key, extra]) => JSON.stringify({ ...value, [key]: extra })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(someName, anyValue, validObject)
        .map(([name, first, value]) =>
          JSON.stringify(value).replace(
            /^\{/,
            `{${JSON.stringify(name)}:${JSON.stringify(first)},`,
          ),
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(someName, fc.integer({ min: 1000, max: 40_000 }))
        .map(([name, size]) => JSON.stringify({ [name]: 'x'.repeat(size) })),
    },
    { weight: 2, arbitrary: oddText },
  );
  const contentType = fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/json') },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'application/json; charset=utf-8',
        'application/json; charset=utf-16',
        'Application/JSON',
        'application/json, text/plain',
        'text/plain',
        'application/x-www-form-urlencoded',
        '',
      ),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  return fc
    .tuple(contentType, text)
    .map(([type, body]) => ({ contentType: type, bytes: Buffer.from(body, 'utf8') }));
}

function validValue(schema: Schema, context: FuzzContext): fc.Arbitrary<unknown> {
  if (schema.type === 'integer') {
    return fc.oneof(
      fc.integer({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6 }),
      fc.constantFrom(context.userId, context.otherUserId),
    );
  }
  return fc.string({ maxLength: Math.min(schema.maxLength ?? 50, 50) });
}

const WAV = wavTone({ seconds: 0.1 });

/**
 * Valid audio in every accepted container around a pathological metadata block (smaller than
 * attacks.test.ts's, so a run stays quick): the classes of file that froze the API.
 */
function metadataBombs(): Buffer[] {
  const tone = (format: string, codec: string) => ffmpegAudio({ format, codec, seconds: 0.5 });
  return [
    mp3WithTextListBomb(tone('mp3', 'libmp3lame'), 20_000),
    mp3WithManyTxxxFrames(tone('mp3', 'libmp3lame'), 5_000),
    flacWithCommentBomb(tone('flac', 'flac'), { entries: 20_000 }),
    oggWithCommentBomb(tone('ogg', 'libvorbis'), 5_000),
    oggWithCommentBomb(tone('ogg', 'libopus'), 5_000),
    mp4WithIlstBomb(tone('ipod', 'aac'), 5_000),
    webmWithTagsBomb(tone('webm', 'libopus'), 5_000),
    wavWithManyChunks(tone('wav', 'pcm_s16le'), { chunks: 2_000, listBytes: 100_000 }),
    aiffWithManyChunks(tone('aiff', 'pcm_s16be'), 2_000),
  ];
}
const BOMBS = metadataBombs();

interface Part {
  name: string;
  filename?: string;
  type?: string;
  content: Buffer;
}

const part: fc.Arbitrary<Part> = fc.record(
  {
    name: fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom('file', 'title') },
      { weight: 1, arbitrary: oddText },
    ),
    filename: fc.oneof(
      fc.constantFrom('a.wav', 'sound.mp3', '../../etc/passwd', '', 'a"b.wav', 'é🎵.wav'),
      oddText,
    ),
    type: fc.constantFrom('audio/wav', 'application/octet-stream', 'image/png', 'text/plain', ''),
    content: fc.oneof(
      { weight: 3, arbitrary: fc.constant(WAV) },
      { weight: 1, arbitrary: fc.constant(PNG_BYTES) },
      { weight: 2, arbitrary: fc.constantFrom(...BOMBS) },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(...BOMBS)
          .chain((bomb) => fc.nat(bomb.length).map((cut) => bomb.subarray(0, cut))),
      },
      { weight: 1, arbitrary: fc.constant(WAV.subarray(0, 44)) },
      { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
      {
        weight: 2,
        arbitrary: fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
      },
      { weight: 2, arbitrary: oddText.map((text) => Buffer.from(text, 'utf8')) },
    ),
  },
  { requiredKeys: ['name', 'content'] },
);

type Mangling = 'none' | 'no-final-boundary' | 'truncate' | 'lf-only' | 'garbage-preamble';

function multipartBytes(parts: Part[], boundary: string, mangling: Mangling, cut: number): Buffer {
  const eol = mangling === 'lf-only' ? '\n' : '\r\n';
  const pieces = parts.map((each) => {
    const filename = each.filename === undefined ? '' : `; filename="${each.filename}"`;
    const type = each.type === undefined ? '' : `Content-Type: ${each.type}${eol}`;
    return Buffer.concat([
      Buffer.from(
        `--${boundary}${eol}Content-Disposition: form-data; name="${each.name}"${filename}${eol}${type}${eol}`,
      ),
      each.content,
      Buffer.from(eol),
    ]);
  });
  const end = mangling === 'no-final-boundary' ? '' : `--${boundary}--${eol}`;
  const body = Buffer.concat([...pieces, Buffer.from(end)]);
  if (mangling === 'truncate') return body.subarray(0, cut % (body.length + 1));
  if (mangling === 'garbage-preamble') return Buffer.concat([Buffer.from('garbage\r\n'), body]);
  return body;
}

/**
 * A multipart body: a few parts (or very many), each field named rightly or not, with audio,
 * an image, random bytes or nothing; boundaries odd, missing or not the one declared; the body
 * cut short, without its closing boundary, with bare LFs or junk in front.
 */
const multipartBody: fc.Arbitrary<Body> = fc
  .record({
    parts: fc.oneof(
      { weight: 8, arbitrary: fc.array(part, { maxLength: 5 }) },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 20, max: 300 })
          .map((count) =>
            Array.from({ length: count }, () => ({ name: 'title', content: Buffer.from('t') })),
          ),
      },
    ),
    boundary: fc.oneof(
      { weight: 5, arbitrary: fc.constant('fuzz-boundary-0123') },
      {
        weight: 1,
        arbitrary: fc.constantFrom('a', '-'.repeat(70), 'x'.repeat(200), 'b o u n d', 'é'),
      },
    ),
    declared: fc.constantFrom(
      'same',
      'same',
      'same',
      'same',
      'missing',
      'empty',
      'other',
      'quoted',
      'twice',
      'mixed',
      'not multipart',
      'no header',
    ),
    mangling: fc.constantFrom<Mangling>(
      'none',
      'none',
      'none',
      'no-final-boundary',
      'truncate',
      'lf-only',
      'garbage-preamble',
    ),
    cut: fc.nat(),
  })
  .map(({ parts, boundary, declared, mangling, cut }) => {
    const types: Record<string, string | undefined> = {
      same: `multipart/form-data; boundary=${boundary}`,
      missing: 'multipart/form-data',
      empty: 'multipart/form-data; boundary=',
      other: 'multipart/form-data; boundary=another-boundary',
      quoted: `multipart/form-data; boundary="${boundary}"`,
      twice: `multipart/form-data; boundary=${boundary}; boundary=x`,
      mixed: `multipart/mixed; boundary=${boundary}`,
      'not multipart': 'application/json',
      'no header': undefined,
    };
    return { contentType: types[declared], bytes: multipartBytes(parts, boundary, mangling, cut) };
  });

function bodyFor(operation: Operation, context: FuzzContext): fc.Arbitrary<Body | undefined> {
  if (operation.body?.contentType === 'multipart/form-data') return multipartBody;
  if (operation.body) return jsonBody(operation.body.schema, context);
  // Operations without a body now and then get one anyway.
  return fc.option(fc.oneof(jsonBody({}, context), multipartBody), { nil: undefined, freq: 5 });
}

/**
 * How the body is framed: by Content-Length, chunked, cut short of its Content-Length (the
 * client then closes), or with no framing at all (the server reads its bytes as a second,
 * garbled request on the same connection).
 */
function framing(hasBody: boolean): fc.Arbitrary<RawRequest['framing']> {
  if (!hasBody) return fc.constant('none');
  return fc.constantFrom<RawRequest['framing']>(
    'length',
    'length',
    'length',
    'chunked',
    'short',
    'none',
  );
}

/** Requests for one operation, from valid to thoroughly broken. */
export function requestsFor(operation: Operation, context: FuzzContext): fc.Arbitrary<RawRequest> {
  const method =
    operation.method === 'GET'
      ? fc.constantFrom('GET', 'GET', 'GET', 'HEAD')
      : fc.constant(operation.method);
  return fc
    .record({
      method,
      path: pathFor(operation, context),
      query: queryFor(operation, context),
      user: userHeaders(operation, context),
      others: otherHeaders(operation),
      body: bodyFor(operation, context),
    })
    .chain(({ method, path, query, user, others, body }) =>
      framing(body !== undefined).map((bodyFraming): RawRequest => {
        const headers: Array<[string, string]> = [...user, ...others];
        if (body?.contentType !== undefined) headers.push(['Content-Type', body.contentType]);
        return {
          method,
          target: path + query,
          headers,
          ...(body ? { body: body.bytes } : {}),
          framing: bodyFraming,
        };
      }),
    );
}
