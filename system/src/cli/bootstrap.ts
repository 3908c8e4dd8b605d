// The first steps of `pnpm start` and `pnpm dev`, with Node's built-ins only: install the
// workspace's dependencies when they are missing or stale (a fresh clone), and only then load
// the launcher, which needs them.
import { ensureDependencies } from '../dependencies.ts';
import { say } from '../messages.ts';
import { REPO_DIR } from '../paths.ts';

export async function launch(options: { dev: boolean }): Promise<void> {
  // Tests and machines that manage their own install skip the check.
  if (process.env.CLOUD_SOUND_SKIP_INSTALL !== '1') {
    try {
      await ensureDependencies(REPO_DIR, say);
    } catch (error) {
      say(`cannot start: ${(error as Error).message}`);
      process.exit(1);
    }
  }
  const { runSystem } = await import('./run.ts');
  await runSystem(options);
}
