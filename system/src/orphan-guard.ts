// Preloaded (`node --import`) into every program the launcher starts. The launcher holds the
// other end of this process's stdin and never writes to it: when that pipe ends, the launcher
// is gone, however it went (even SIGKILL, which leaves it no chance to stop anything). The
// program's whole process group then gets SIGTERM, as a Ctrl-C would give it: the program
// closes as usual, and a `node --watch` parent goes with its child.
import { isMainThread } from 'node:worker_threads';

if (isMainThread && process.env.CLOUD_SOUND_ORPHAN_GUARD === '1') {
  // Only this process watches; whatever it starts has its own stdin.
  delete process.env.CLOUD_SOUND_ORPHAN_GUARD;
  const stop = () => process.kill(0, 'SIGTERM');
  process.stdin.once('end', stop);
  process.stdin.once('error', stop);
  process.stdin.resume();
  // Watching must not keep a program alive that would otherwise exit.
  (process.stdin as { unref?: () => void }).unref?.();
}
