import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/**
 * Issue 13's contract check: every answer the API gives in a test is held against the OpenAPI
 * document the API serves — its status must be documented for the operation, a JSON body must
 * match the documented schema, and a documented header must match its schema when present.
 * The test system (system.ts) watches every API it starts, so the whole suite's traffic is the
 * corpus; a violation fails the test file that caused it.
 */
export interface ContractWatch {
  /** One line per answer that broke the contract, since the start. */
  violations(): string[];
}

interface DocumentedResponse {
  headers?: Record<string, { schema?: object }>;
  content?: Record<string, { schema?: object }>;
}

interface Document {
  paths: Record<string, Record<string, { responses: Record<string, DocumentedResponse> }>>;
  components: { schemas: Record<string, object> };
}

export function watchContract(app: FastifyInstance): ContractWatch {
  const violations: string[] = [];
  let validators: Validators | undefined;

  app.addHook('onSend', async (request, reply, payload) => {
    const template = request.routeOptions.url;
    // Not an operation: a path no route has (404 ROUTE_NOT_FOUND), or a hidden route.
    if (!template || request.routeOptions.schema?.hide) return payload;
    // Handed to the API gateway, which sends the file's bytes (what the client gets is
    // compared with the API's own answer in test/gateway-transfers.test.ts).
    if (reply.hasHeader('x-accel-redirect')) return payload;
    validators ??= new Validators(app.swagger() as unknown as Document);
    const path = template.replace(/:(\w+)/g, '{$1}');
    const where = `${request.method} ${path} → ${reply.statusCode}`;
    const problem = validators.check(path, request.method.toLowerCase(), reply, payload);
    if (problem) violations.push(`${where}: ${problem}`);
    return payload;
  });

  return { violations: () => [...violations] };
}

class Validators {
  readonly #document: Document;
  readonly #ajv: Ajv2020;
  readonly #compiled = new Map<string, ValidateFunction>();

  constructor(document: Document) {
    this.#document = document;
    this.#ajv = new Ajv2020({ strict: false, allErrors: false });
    addFormats.default(this.#ajv);
    this.#ajv.addFormat('binary', true);
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      this.#ajv.addSchema({ ...schema, $id: undefined }, `#/components/schemas/${name}`);
    }
  }

  check(
    path: string,
    method: string,
    reply: { statusCode: number; getHeaders(): Record<string, unknown> },
    payload: unknown,
  ): string | undefined {
    const operation = this.#document.paths[path]?.[method];
    if (!operation) return 'the operation is not in the document';
    const documented = operation.responses[String(reply.statusCode)] ?? operation.responses.default;
    if (!documented) {
      return `status not documented (documented: ${Object.keys(operation.responses).join(', ')})`;
    }
    const headers = reply.getHeaders();
    for (const [name, header] of Object.entries(documented.headers ?? {})) {
      const value = headers[name.toLowerCase()];
      if (value === undefined || !header.schema) continue;
      const validate = this.#validator(`header ${path} ${method} ${name}`, header.schema);
      // Header values are text; an integer header is checked as the number it spells.
      if (!validate(String(value)) && !this.#coerced(validate, String(value))) {
        return `header ${name}: ${JSON.stringify(value)} ${this.#ajv.errorsText(validate.errors)}`;
      }
    }
    const json = documented.content?.['application/json']?.schema;
    const contentType = String(headers['content-type'] ?? '');
    if (!json || !contentType.startsWith('application/json')) return undefined;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return undefined;
    let body: unknown;
    try {
      body = JSON.parse(payload.toString());
    } catch {
      return 'the body is not JSON';
    }
    const validate = this.#validator(`body ${path} ${method} ${reply.statusCode}`, json);
    if (!validate(body)) return `body: ${this.#ajv.errorsText(validate.errors)}`;
    return undefined;
  }

  #coerced(validate: ValidateFunction, text: string): boolean {
    const number = Number(text);
    return text.trim() !== '' && Number.isFinite(number) && validate(number);
  }

  #validator(key: string, schema: object): ValidateFunction {
    let validate = this.#compiled.get(key);
    if (!validate) {
      validate = this.#ajv.compile(schema);
      this.#compiled.set(key, validate);
    }
    return validate;
  }
}
