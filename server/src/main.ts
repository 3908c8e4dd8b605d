import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

const config = loadConfig();
const app = await buildApp(config);

// On SIGTERM/SIGINT: stop accepting, let in-flight requests finish (bounded), close the
// database and the backend clients.
closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'closing after an error');
  else app.log.info({ signal }, 'closing');
  await app.close();
});

await app.listen({ port: config.PORT, host: config.HOST });
app.log.info({ docs: `${config.PUBLIC_URL}/docs` }, 'Cloud Sound API ready');
