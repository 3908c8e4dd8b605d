import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from './helpers/http.ts';
import { startSystem, type TestSystem } from './helpers/system.ts';

interface Operation {
  summary?: string;
  tags?: string[];
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: { content: Record<string, { schema?: { $ref?: string } }> };
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
  security?: unknown[];
}

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
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

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete'];

/** Every operation the document lists; nothing here is kept by hand. */
function operations(): Array<{ path: string; method: string; operation: Operation }> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({ path, method, operation })),
  );
}

/** The documented example of an operation's JSON body, if it takes one. */
function exampleBody(operation: Operation): string | undefined {
  const ref = operation.requestBody?.content['application/json']?.schema?.$ref;
  if (!ref) return undefined;
  const schema = document.components.schemas[ref.replace('#/components/schemas/', '')] as {
    examples?: unknown[];
  };
  expect(schema.examples?.length, `${ref} has an example`).toBeGreaterThan(0);
  return JSON.stringify(schema.examples?.[0]);
}

/** A concrete URL for a path template (ids that exist nowhere). */
function urlOf(path: string): string {
  return path.replace('{id}', '00000000-0000-4000-8000-000000000000');
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3 and declares X-User-Id as a security scheme', () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(document.components.securitySchemes.userId).toEqual(
      expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-User-Id' }),
    );
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['Sound', 'SoundList', 'ApiError']),
    );
  });

  it('lists every route the API answers, each with a summary and a tag', () => {
    expect(operations().length).toBeGreaterThan(0);
    for (const { path, method, operation } of operations()) {
      const url = path.replace(/\{(\w+)\}/g, ':$1');
      expect(system.api.hasRoute({ method: method.toUpperCase(), url }), `${method} ${path}`).toBe(
        true,
      );
      expect(operation.summary, `${method} ${path}`).toBeTruthy();
      expect(operation.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
    }
  });

  it('documents 400 wherever the request has parameters, a query or a body to get wrong', () => {
    for (const { path, method, operation } of operations()) {
      if (operation.parameters?.length || operation.requestBody) {
        expect(Object.keys(operation.responses), `${method} ${path}`).toContain('400');
      }
    }
  });

  it('gives every error answer the one error shape', () => {
    for (const { path, method, operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        // A report that answers with an error status (GET /ready's 503) keeps its own shape.
        const schemaOf = (status: string) =>
          JSON.stringify(operation.responses[status]?.content?.['application/json']?.schema);
        if (schemaOf(status) === schemaOf('200')) continue;
        const schema = response.content?.['application/json']?.schema;
        expect(schema?.$ref, `${method} ${path} ${status}`).toBe('#/components/schemas/ApiError');
      }
    }
  });

  it('marks as protected exactly the operations that want X-User-Id', async () => {
    // Derived from behaviour: without the header, a protected operation answers 401.
    for (const { path, method, operation } of operations()) {
      if (method === 'head') continue;
      const body = exampleBody(operation);
      const response = await fetch(`${system.url}${urlOf(path)}`, {
        method: method.toUpperCase(),
        ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}),
      });
      // An event stream (GET /events) never ends: its status is all this needs.
      if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
        await response.body?.cancel();
      } else {
        await response.arrayBuffer();
      }
      const isProtected = Boolean(operation.security?.length);
      expect(response.status === 401, `${method} ${path} answered ${response.status}`).toBe(
        isProtected,
      );
      if (isProtected) {
        expect(Object.keys(operation.responses)).toEqual(
          expect.arrayContaining(['400', '401', '429', '503']),
        );
      }
    }
  });

  it('is served as JSON with an ETag, and not again to a client that has it', async () => {
    const first = await fetch(`${system.url}/openapi.json`);
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(await first.json()).toEqual(document);
    const again = await fetch(`${system.url}/openapi.json`, {
      headers: { 'if-none-match': etag as string },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await fetch(`${system.url}/docs/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('swagger');
  });
});
