/**
 * Query keys shared across features: uploads, renames and deletes change the sound lists that
 * the sounds feature shows, so they must name the same keys.
 */
export interface SoundListFilter {
  /** One uploader's sounds, or everyone's (null). */
  userId: number | null;
  /** The search words; empty for no search. */
  q: string;
}

export const soundsKeys = {
  all: ['sounds'] as const,
  lists: () => [...soundsKeys.all, 'list'] as const,
  list: (filter: SoundListFilter) => [...soundsKeys.lists(), filter] as const,
  details: () => [...soundsKeys.all, 'detail'] as const,
  /** Every cached copy of one sound's `GET /sounds/:id`, whoever asked. */
  sound: (soundId: string) => [...soundsKeys.details(), soundId] as const,
  /**
   * One sound as `viewerId` sees it (null: asked without `X-User-Id`): only its uploader's copy
   * says why its processing failed.
   */
  detail: (soundId: string, viewerId: number | null) =>
    [...soundsKeys.sound(soundId), viewerId] as const,
  waveform: (soundId: string) => [...soundsKeys.all, 'waveform', soundId] as const,
};

/**
 * The logged-in user's `GET /me` (their storage use and waiting sounds): uploads, deletes and
 * finished processing change it.
 */
export const meKeys = {
  all: ['me'] as const,
  user: (userId: number) => [...meKeys.all, userId] as const,
};
