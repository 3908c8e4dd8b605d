// The launcher's own messages (what it does, why it stops), set apart from the programs' logs
// by the name `start` where the programs' lines carry theirs. Node built-ins only: the commands
// use it before they know that the dependencies are installed.

const NAME_WIDTH = 10;

/** `api        | ` */
export function prefix(name: string): string {
  return `${name.padEnd(NAME_WIDTH)} | `;
}

/** Writes `text` (one or more lines) as the launcher's message, in one write. */
export function say(text: string): void {
  process.stdout.write(`${text.replace(/^/gm, prefix('start'))}\n`);
}
