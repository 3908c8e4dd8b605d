// `pnpm dev`: the same system as `pnpm start`, for working on it. The Node programs run under
// `node --watch` (a change in their package's src/ restarts them; the API also restarts on a new
// migration in drizzle/), the web app under Vite's dev server with hot reload, pointed at the
// API by VITE_API_URL; logs are pretty. Same settings as `pnpm start` (see start.ts).
import { launch } from './bootstrap.ts';

await launch({ dev: true });
