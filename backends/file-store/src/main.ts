import { serve } from '@cloud-sound/service-kit/serve';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

const config = loadConfig();
await serve(await buildApp(config), {
  name: 'file_store',
  host: config.HOST,
  port: config.PORT,
  details: { dataDir: config.DATA_DIR },
});
