// Runs a program that is not Node (nginx) the way the launcher runs every program: spawned by
// spawnNodeGroup with the orphan guard preloaded, this process starts the program in the same
// process group and lives as long as it does. Signals to the group reach both: the program
// acts on them, and this process only waits for it to exit, then exits the same way.
//   node exec-child.ts <command> [args…]
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: exec-child.ts <command> [args…]\n');
  process.exit(2);
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'] as const) {
  process.on(signal, () => {});
}
const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
child.once('error', (error) => {
  process.stderr.write(`cannot run ${command}: ${error.message}\n`);
  process.exit(127);
});
child.once('exit', (code, signal) => {
  process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
});
