import { AUDIO_FAMILIES } from './media/formats.ts';

/**
 * The numbers of the API's contract that clients must know, in one place: the route schemas,
 * the checks and GET /limits (which the web app reads) all take them from here.
 */
export const USER_ID_RANGE = { minimum: 1, maximum: 2_147_483_647 } as const;

/** A title's length, in characters (code points). */
export const MAX_TITLE_LENGTH = 200;

export const PAGE_SIZE = { default: 20, maximum: 100 } as const;

/**
 * The formats an upload may be in, as people name them and as a file picker accepts them: every
 * family whose demuxer the decoder may open (media/formats.ts).
 */
export const ACCEPTED_FORMATS = AUDIO_FAMILIES.map(({ name, types, extensions }) => ({
  name,
  types,
  extensions,
}));
