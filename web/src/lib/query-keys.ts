/**
 * Query keys shared across features: uploads and deletes change the sound lists that the sounds
 * feature shows, so they must name the same keys.
 */
export const soundsKeys = {
  all: ['sounds'] as const,
  lists: () => [...soundsKeys.all, 'list'] as const,
  /** One listing: everyone's sounds (`userId` null) or one uploader's. */
  list: (userId: number | null) => [...soundsKeys.lists(), { userId }] as const,
};
