import { join } from 'node:path';
import type { TestSystem } from '@cloud-sound/server/testing/system';
import { findNginx, Gateway } from '@cloud-sound/system';
import getPort from 'get-port';

/**
 * The launcher's nginx gateway (Debian's nginx) in front of a test system's API, on a free port,
 * with its files in `dir`. The API must believe it: TRUST_PROXY=GATEWAY_UPSTREAM_ADDRESS.
 */
export async function startGatewayInFront(system: TestSystem, dir: string): Promise<Gateway> {
  if (!findNginx())
    throw new Error("Debian's nginx is needed for this test: apt-get install nginx");
  return Gateway.start({
    host: '127.0.0.1',
    port: await getPort(),
    publicUrl: 'http://cloud-sound.test',
    replicas: [system.url],
    fileStoreUrl: system.fileStore.url,
    dir: join(dir, 'gateway'),
    timeoutMs: 20_000,
  });
}
