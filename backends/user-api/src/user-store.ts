import { mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface UserStore {
  exists(id: number): Promise<boolean>;
  /** Resolves false when the user already exists. */
  create(id: number): Promise<boolean>;
}

/**
 * One empty file per user. Creating it with O_EXCL ('wx') is atomic even across processes,
 * so of two concurrent creates of the same id exactly one wins, and there is never a
 * half-written record to recover from.
 */
export async function openUserStore(dataDir: string): Promise<UserStore> {
  const dir = join(dataDir, 'users');
  await mkdir(dir, { recursive: true });

  // Ids are validated by the route schema; this guard keeps any other input out of the path.
  const pathOf = (id: number) => {
    if (!Number.isSafeInteger(id) || id < 1) throw new RangeError(`invalid user id: ${id}`);
    return join(dir, String(id));
  };

  return {
    async exists(id) {
      try {
        await stat(pathOf(id));
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      }
    },

    async create(id) {
      try {
        const file = await open(pathOf(id), 'wx');
        await file.close();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      }
      await syncDirectory(dir);
      return true;
    },
  };
}

/** Flushes the new directory entry, so a created user also survives a power loss. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
