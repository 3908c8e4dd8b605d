import { Type } from 'typebox';

const CheckResult = Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]);
/** GET /ready's answer, 200 or 503. */
export const Readiness = Type.Object(
  {
    status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
    checks: Type.Object({ database: CheckResult, userApi: CheckResult, fileStore: CheckResult }),
    processing: Type.Union([Type.Literal('ok'), Type.Literal('unavailable'), Type.Literal('off')], {
      description:
        'ffmpeg in this process: `unavailable` when it cannot run (sounds stay pending until it can), `off` when another process does the processing. It does not make the API unready: everything else works without it.',
    }),
  },
  {
    $id: 'Readiness',
    title: 'Readiness',
    examples: [
      {
        status: 'ready',
        checks: { database: 'ok', userApi: 'ok', fileStore: 'ok' },
        processing: 'ok',
      },
    ],
  },
);
