import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorReplies } from '../schemas/replies.ts';

export const eventsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/events',
    {
      config: { concurrency: 'events' },
      schema: {
        operationId: 'streamEvents',
        tags: ['sounds'],
        summary: 'Live changes to the listed sounds (Server-Sent Events)',
        description: [
          'A stream that stays open: one event each time a listed sound is created, renamed, changes processing state (ready, failed, retried), changes otherwise or is deleted, by anyone, on any replica, as soon as the change commits. Each `data:` line is a `SoundEvent` (JSON); reload what it names.',
          'Every event has an `id:`; a client that reconnects (EventSource does by itself, after the `retry:` the stream gives) sends the last one in `Last-Event-ID` and is sent everything it missed first. One that missed more than is kept gets a `reset` event: reload everything. The stream starts with an `id:` alone, so even a client that saw no event yet resumes without a gap. A comment line every `EVENTS_HEARTBEAT_MS` keeps idle connections open.',
          'Open to anyone: every sound it names is listed. Each address may hold `CLIENT_MAX_EVENT_STREAMS` streams at once (then 429).',
        ].join('\n\n'),
        headers: Type.Object({
          'last-event-id': Type.Optional(
            Type.String({
              pattern: '^(0|[1-9][0-9]{0,14})$',
              description: 'The id of the last event received, to resume after it',
            }),
          ),
        }),
        response: {
          200: {
            description: 'The stream: `text/event-stream`, each `data:` a `SoundEvent`',
            content: {
              'text/event-stream': {
                schema: Type.String({
                  description: 'Server-Sent Events; each `data:` line is a `SoundEvent` (JSON)',
                  // What each event's data holds (JSON Schema's schema of a string's content).
                  contentSchema: Type.Ref('SoundEvent'),
                  examples: [
                    'retry: 2000\nid: 41\n\nid: 42\ndata: {"id":42,"kind":"processing","soundId":"0b0e5fd3-6a1f-4e1c-9f3e-2f5b2c1a7d10","userId":4242,"processing":"ready"}\n\n',
                  ],
                }),
              },
            },
          },
          ...errorReplies(400, 503),
        },
      },
    },
    async (request, reply) => {
      const header = request.headers['last-event-id'];
      const body = await fastify.openEventStream(header === undefined ? undefined : Number(header));
      return (
        reply
          .type('text/event-stream; charset=utf-8')
          // Never cached, never held back by a proxy on the way.
          .header('cache-control', 'no-store')
          .header('x-accel-buffering', 'no')
          .send(body)
      );
    },
  );
};
