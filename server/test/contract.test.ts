import swagger from '@fastify/swagger';
import Fastify from 'fastify';
import { afterAll, expect, it } from 'vitest';
import { watchContract } from './helpers/contract.ts';

/**
 * The contract watch (helpers/contract.ts) every in-process test system runs: it must catch an
 * undocumented status, a body that breaks its schema and a header that breaks its schema —
 * here on a small app of its own that commits each on purpose.
 */
const app = Fastify();
await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 't', version: '1' } } });
app.get(
  '/thing',
  {
    schema: {
      response: {
        200: {
          type: 'object',
          properties: { n: { type: 'integer' } },
          required: ['n'],
          headers: { 'X-Count': { type: 'integer' } },
        },
      },
    },
  },
  async (request, reply) => {
    const { answer } = request.query as { answer?: string };
    if (answer === 'teapot') return reply.code(418 as 200).send({ n: 0 });
    if (answer === 'header') return reply.header('x-count', 'many').send({ n: 1 });
    if (answer === 'body') return reply.type('application/json').send('{"n":"one"}');
    return { n: 1 };
  },
);
const watch = watchContract(app);
await app.ready();
afterAll(() => app.close());

it('accepts an answer the document describes', async () => {
  await app.inject('/thing');
  expect(watch.violations()).toEqual([]);
});

it('names an undocumented status, a body and a header that break their schemas', async () => {
  for (const answer of ['teapot', 'header', 'body']) await app.inject(`/thing?answer=${answer}`);
  const violations = watch.violations();
  expect(violations).toHaveLength(3);
  expect(violations[0]).toMatch(/GET \/thing → 418: status not documented/);
  expect(violations[1]).toMatch(/header X-Count/);
  expect(violations[2]).toMatch(/body: .*n must be integer/);
});
