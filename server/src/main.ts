import { serve } from '@cloud-sound/service-kit/serve';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

const config = loadConfig();
await serve(await buildApp(config), {
  name: 'Cloud Sound API',
  host: config.HOST,
  port: config.PORT,
  details: { docs: `${config.PUBLIC_URL}/docs` },
});
