import { Type } from 'typebox';
import { PROCESSING_STATES, type ProcessingState, SOUND_EVENT_KINDS } from '../db/schema.ts';
import { StringEnum, UserId } from './common.ts';
import { SoundId } from './sound.ts';

/** What the `data:` line of a `GET /events` event holds (one JSON object per event). */
export const SoundEvent = Type.Union(
  [
    Type.Object(
      {
        id: Type.Integer({ minimum: 1, description: 'The event id (also its SSE `id:`)' }),
        kind: StringEnum([...SOUND_EVENT_KINDS], {
          description:
            '`created`: listed (published, or restored); `renamed`; `processing`: its processing state changed; `updated`: something else shown changed; `deleted`: no longer listed.',
        }),
        soundId: SoundId,
        userId: UserId,
        processing: Type.Unsafe<ProcessingState | null>({
          type: ['string', 'null'],
          enum: [...PROCESSING_STATES, null],
          description: 'Its processing state after the change; null once deleted.',
        }),
      },
      { title: 'SoundChanged' },
    ),
    Type.Object(
      {
        kind: Type.Literal('reset', {
          description:
            'The events missed since `Last-Event-ID` are no longer all kept: reload what you show.',
        }),
      },
      { title: 'EventsReset' },
    ),
  ],
  {
    $id: 'SoundEvent',
    title: 'SoundEvent',
    examples: [
      {
        id: 42,
        kind: 'processing',
        soundId: '0b0e5fd3-6a1f-4e1c-9f3e-2f5b2c1a7d10',
        userId: 4242,
        processing: 'ready',
      },
    ],
  },
);
