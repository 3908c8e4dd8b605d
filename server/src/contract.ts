/**
 * The numbers of the API's contract that clients must know, in one place: the route schemas,
 * the checks and GET /limits (which the web app reads) all take them from here.
 */
export const USER_ID_RANGE = { minimum: 1, maximum: 2_147_483_647 } as const;

/** A title's length, in characters (code points). */
export const MAX_TITLE_LENGTH = 200;

export const PAGE_SIZE = { default: 20, maximum: 100 } as const;

/** The formats an upload may be in, as people name them and as a file picker accepts them. */
export const ACCEPTED_FORMATS = [
  { name: 'MP3', types: ['audio/mpeg'], extensions: ['.mp3'] },
  { name: 'WAV', types: ['audio/wav', 'audio/x-wav'], extensions: ['.wav'] },
  { name: 'Ogg Vorbis', types: ['audio/ogg'], extensions: ['.ogg', '.oga'] },
  { name: 'Opus', types: ['audio/ogg; codecs=opus', 'audio/opus'], extensions: ['.opus'] },
  { name: 'FLAC', types: ['audio/flac', 'audio/x-flac'], extensions: ['.flac'] },
  { name: 'M4A', types: ['audio/mp4', 'audio/x-m4a'], extensions: ['.m4a', '.mp4'] },
  { name: 'AAC', types: ['audio/aac'], extensions: ['.aac'] },
  { name: 'WebM', types: ['audio/webm'], extensions: ['.webm'] },
  { name: 'AIFF', types: ['audio/aiff', 'audio/x-aiff'], extensions: ['.aif', '.aiff'] },
] as const;

/** "MP3, WAV, …, WebM or AIFF", for messages. */
export const ACCEPTED_FORMAT_NAMES = ACCEPTED_FORMATS.map((format) => format.name)
  .join(', ')
  .replace(/, ([^,]*)$/, ' or $1');
