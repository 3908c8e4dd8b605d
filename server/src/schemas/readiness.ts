import { Type } from 'typebox';
import { StringEnum } from './common.ts';

const CheckResult = StringEnum(['ok', 'unavailable']);
/** GET /ready's answer, 200 or 503. */
export const Readiness = Type.Object(
  {
    status: StringEnum(['ready', 'unavailable']),
    checks: Type.Object({ database: CheckResult, userApi: CheckResult, fileStore: CheckResult }),
    processing: StringEnum(['ok', 'unavailable', 'off'], {
      description:
        'ffmpeg in this process: `unavailable` when it cannot run (sounds stay pending until it can), `off` when another process does the processing. It does not make the API unready: everything else works without it.',
    }),
    uploadCheck: StringEnum(['ok', 'unavailable'], {
      description:
        'ffprobe, which judges uploads before the 201: `unavailable` when it cannot run (uploads that pass a first look at their bytes are taken `pending`, and judged once it is back). It does not make the API unready.',
    }),
    redis: StringEnum(['ok', 'unavailable', 'off'], {
      description:
        'The Redis (or Valkey) that replicas count rate and per-client limits in: `unavailable` when it does not answer (the limits let requests through uncounted until it is back), `off` when REDIS_URL is unset and each process counts its own. It does not make the API unready.',
    }),
    missingFiles: Type.Integer({
      minimum: 0,
      description:
        'Files of listed sounds that this process found missing from file_store since it started, each counted once (they answer 404 `FILE_MISSING`; the audit names them). It does not make the API unready.',
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
        uploadCheck: 'ok',
        redis: 'ok',
        missingFiles: 0,
      },
    ],
  },
);
