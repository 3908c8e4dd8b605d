import helmet from '@fastify/helmet';
import fp from 'fastify-plugin';

/**
 * The API answers JSON and audio, never a page to render: its policy allows nothing to load
 * and nobody to frame it. `media-src 'self'` lets a sound opened directly in a tab play.
 */
const API_CSP = {
  'default-src': ["'none'"],
  'media-src': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
};

/**
 * The one inline style of Swagger UI: the <style> in its SVG logo (swagger-ui-standalone-
 * preset.js), allowed by its hash. security-headers.test.ts recomputes it from the file served.
 */
const SWAGGER_LOGO_STYLE_HASH = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";

/**
 * Swagger UI at /docs is a page: its own scripts, styles and images (some as data: URIs) and
 * calls back to this API. It has no inline script (see @fastify/swagger-ui's static/csp.json),
 * so nothing unsafe is allowed. Unlike that plugin's own `staticCSP`, no
 * `upgrade-insecure-requests`: the API is plain HTTP and "Try it out" must keep working.
 */
const DOCS_CSP = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", SWAGGER_LOGO_STYLE_HASH],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
};

const DOCS_PREFIX = '/docs';

/** Security headers on every answer (@fastify/helmet), with a policy for the API and one for /docs. */
export default fp(
  async (fastify) => {
    // The docs routes are added later by another plugin; give them their policy as they come
    // (this hook runs before helmet's own, which reads `route.helmet`).
    fastify.addHook('onRoute', (route) => {
      if (route.url === DOCS_PREFIX || route.url.startsWith(`${DOCS_PREFIX}/`)) {
        route.helmet = { contentSecurityPolicy: { useDefaults: false, directives: DOCS_CSP } };
      }
    });

    await fastify.register(helmet, {
      contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
      // The web app (another origin: http://localhost, the API being :8080) plays the audio
      // in <audio> elements, which load it without CORS: the default same-origin would block it.
      crossOriginResourcePolicy: { policy: 'cross-origin' },
      // Served over plain HTTP (README, Security): HSTS would only mislead,
      // and would pin every port of localhost to HTTPS if it were ever sent over HTTPS.
      strictTransportSecurity: false,
      // The same as `frame-ancestors 'none'`, for browsers that only know the older header.
      xFrameOptions: { action: 'deny' },
    });
  },
  { name: 'security' },
);
