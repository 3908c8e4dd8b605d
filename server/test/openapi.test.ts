import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

interface OpenApiDocument {
  openapi: string;
  paths: Record<
    string,
    Record<string, { responses: Record<string, unknown>; security?: unknown[] }>
  >;
  components: {
    securitySchemes: Record<string, { type: string; in: string; name: string }>;
    schemas: Record<string, unknown>;
  };
}

let system: TestSystem;
let document: OpenApiDocument;
beforeAll(async () => {
  system = await startSystem();
  document = await json<OpenApiDocument>(await fetch(`${system.url}/openapi.json`));
});
afterAll(() => system?.close());

// The contract table of DESIGN.md: every route with every status it may answer.
const CONTRACT: Array<[string, string, string[]]> = [
  ['/sounds', 'get', ['200', '400', '503']],
  ['/sounds/{id}', 'get', ['200', '400', '404', '503']],
  ['/sounds/{id}/audio', 'get', ['200', '206', '304', '400', '404', '416', '429', '503']],
  ['/users', 'post', ['201', '400', '409', '429', '503']],
  ['/me', 'get', ['200', '400', '401', '429', '503']],
  ['/sounds', 'post', ['201', '400', '401', '413', '415', '422', '429', '503']],
  ['/sounds/{id}', 'delete', ['204', '400', '401', '403', '404', '429', '503']],
  ['/health', 'get', ['200']],
  ['/ready', 'get', ['200', '503']],
];

describe('the OpenAPI document', () => {
  it('is OpenAPI 3 and declares X-User-Id as a security scheme', () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(document.components.securitySchemes.userId).toEqual(
      expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-User-Id' }),
    );
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['Sound', 'SoundList', 'Error']),
    );
  });

  it.each(CONTRACT)(
    'documents %s %s with every status of the contract',
    (path, method, statuses) => {
      const operation = document.paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(Object.keys(operation?.responses ?? {}).sort()).toEqual([...statuses].sort());
    },
  );

  it('marks exactly the protected operations as needing X-User-Id', () => {
    const protectedOps = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.security?.length)
        .map(([method]) => `${method} ${path}`),
    );
    expect(protectedOps.sort()).toEqual(['delete /sounds/{id}', 'get /me', 'post /sounds']);
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await fetch(`${system.url}/docs/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('swagger');
  });
});
