// `pnpm start`: the whole system on this machine, no Docker and no Postgres server needed.
// Installs dependencies if needed, builds the web app if needed (into the data folder, for the
// API's URL), starts user_api, file_store, the API and the web app (`vite preview`) as child
// processes, prints their URLs once all four are healthy, and stops all four on Ctrl-C or
// SIGTERM. Settings (all optional):
//   <PROGRAM>__<SETTING>   a program's own setting: API__PORT=9000, WEB__PORT=3000,
//                          FILE_STORE__PORT, USER_API__PORT, API__MAX_UPLOAD_BYTES, …
//   LOG_LEVEL (every program)   DATABASE_URL (the API; unset: embedded PGlite)
//   REDIS_URL (the API: where its replicas count their limits together; unset: each its own)
//   CLOUD_SOUND_DATA_DIR=<repo>/data   CLOUD_SOUND_SKIP_INSTALL=1
// The root script is `exec node system/src/cli/start.ts`: with no shell in between, pnpm's
// forwarded SIGINT/SIGTERM reach this process directly and pnpm exits with its exit code.
import { launch } from './bootstrap.ts';

await launch({ dev: false });
