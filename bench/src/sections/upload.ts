// 1. Upload: the same WAV through POST /sounds and straight to file_store's POST /files/, with
// the API's peak RSS for each size (its VmHWM, reset before every upload where allowed) and the
// CPU each process spent per MB, which explains the ratio on a machine of few cores.
import { MB, mbPerSecond, type Transfer, uploadWav } from '../http.ts';
import { resetPeakRss, statusMiB, withCpu } from '../proc.ts';
import { fixed, median, percent, sizeLabel } from '../table.ts';
import { type BenchContext, errorCell, type SectionReport } from './context.ts';

/** What playback reads afterwards: the largest file, stored both ways. */
export interface UploadedFiles {
  size: number;
  soundId: string;
  fileStoreId: string;
}

const HEADER = [
  'file',
  'via gateway MB/s',
  'API alone MB/s',
  'file_store MB/s',
  'gateway ÷ file_store',
  'API alone ÷ file_store',
  'user check + quota + publish ms',
  'upload check (ffprobe) ms',
  'API RSS before MiB',
  'API peak RSS MiB',
  'CPU ms/MB via gateway: client, API, file_store',
  'CPU ms/MB direct: client, file_store',
  'errors',
];

export async function runUploadSection(
  context: BenchContext,
): Promise<{ report: SectionReport; files: UploadedFiles | undefined }> {
  const { plan, system, userId } = context;
  const apiPid = system.programs.api.pid;
  const pids = {
    client: process.pid,
    api: apiPid,
    fileStore: system.programs.file_store.pid,
  };
  let peakResettable = true;
  const rows: (string | number)[][] = [];
  let files: UploadedFiles | undefined;

  if (plan.uploadWarmupBytes > 0) {
    await uploadWav(`${system.urls.api}/sounds`, {
      field: 'file',
      totalBytes: plan.uploadWarmupBytes,
      headers: { 'x-user-id': String(userId) },
    });
    await uploadWav(`${system.urls.file_store}/files/`, {
      field: 'bench-warm-up',
      totalBytes: plan.uploadWarmupBytes,
    });
  }

  for (const size of plan.uploadSizes) {
    try {
      const viaApi: Transfer[] = [];
      const alone: Transfer[] = [];
      const direct: Transfer[] = [];
      const rssBefore: number[] = [];
      const peaks: number[] = [];
      const apiCpu = { client: 0, api: 0, fileStore: 0 };
      const directCpu = { client: 0, fileStore: 0 };
      let soundId = '';
      let fileStoreId = '';
      // Alternate the two ways so a change in the machine's load hits both alike.
      for (let run = 0; run < plan.uploadRuns; run++) {
        rssBefore.push(statusMiB(apiPid, 'VmRSS'));
        peakResettable = resetPeakRss(apiPid) && peakResettable;
        const api = await withCpu(pids, () =>
          uploadWav(`${system.urls.api}/sounds`, {
            field: 'file',
            totalBytes: size,
            headers: { 'x-user-id': String(userId) },
          }),
        );
        peaks.push(statusMiB(apiPid, 'VmHWM'));
        if (api.result.status !== 201) {
          throw new Error(`POST /sounds answered ${api.result.status}: ${api.result.text}`);
        }
        const sound = JSON.parse(api.result.text) as { id: string; size: number };
        if (sound.size !== size) throw new Error(`stored ${sound.size} bytes of ${size}`);
        soundId = sound.id;
        viaApi.push(api.result);
        addTo(apiCpu, api.cpu);

        if (system.gateway) {
          const apiAlone = await uploadWav(`${system.urls.apiAlone}/sounds`, {
            field: 'file',
            totalBytes: size,
            headers: { 'x-user-id': String(userId) },
          });
          if (apiAlone.status !== 201) {
            throw new Error(
              `POST /sounds (API alone) answered ${apiAlone.status}: ${apiAlone.text}`,
            );
          }
          alone.push(apiAlone);
        }

        fileStoreId = `bench-${size}-${run}`;
        const store = await withCpu(pids, () =>
          uploadWav(`${system.urls.file_store}/files/`, { field: fileStoreId, totalBytes: size }),
        );
        if (store.result.status !== 201) {
          throw new Error(`POST /files/ answered ${store.result.status}`);
        }
        direct.push(store.result);
        addTo(directCpu, { client: store.cpu.client ?? 0, fileStore: store.cpu.fileStore ?? 0 });
      }
      // Without a gateway, "via gateway" is the API alone.
      const apiRate = median(viaApi.map(mbPerSecond));
      const aloneRate = system.gateway ? median(alone.map(mbPerSecond)) : apiRate;
      const directRate = median(direct.map(mbPerSecond));
      const perMb = (ms: number) => fixed(ms / ((size * plan.uploadRuns) / MB), 1);
      rows.push([
        sizeLabel(size),
        system.gateway ? fixed(apiRate) : 'n/a (no nginx)',
        fixed(aloneRate),
        fixed(directRate),
        system.gateway ? percent(apiRate / directRate) : 'n/a',
        percent(aloneRate / directRate),
        fixed(median(viaApi.map(fixedCostMs)), 1),
        fixed(median(viaApi.map((transfer) => transfer.serverTiming.check ?? Number.NaN)), 0),
        fixed(Math.max(...rssBefore), 0),
        fixed(Math.max(...peaks), 0),
        `${perMb(apiCpu.client)}, ${perMb(apiCpu.api)}, ${perMb(apiCpu.fileStore)}`,
        `${perMb(directCpu.client)}, ${perMb(directCpu.fileStore)}`,
        0,
      ]);
      files = { size, soundId, fileStoreId };
    } catch (error) {
      rows.push([sizeLabel(size), errorCell(error), '', '', '', '', '', '', '', '', '', '', 1]);
    }
  }

  return {
    files,
    report: {
      title:
        '1. Upload (POST /sounds through the gateway and to the API alone, vs straight to file_store POST /files/)',
      header: HEADER,
      rows,
      notes: [
        `Median of ${plan.uploadRuns} upload(s) each way, in turn${plan.uploadWarmupBytes > 0 ? `, after one unreported ${sizeLabel(plan.uploadWarmupBytes)} warm-up upload each way` : ''}; MB = 10^6 bytes; one upload at a time over a fresh connection, the body streamed with Content-Length.`,
        'Through the gateway, nginx passes the body on as it arrives (no buffering): the API still receives every byte, checks it and streams it to file_store. "API alone" is the same API process asked on its own port. CPU and RSS are of the uploads through the gateway.',
        'From the API\'s `Server-Timing` on the 201 (medians): the fixed costs of an upload besides the transfer (the user\'s check with user_api, reading the quota, publishing the row with its job), and the upload check: ffprobe reading the stored file from file_store and decoding its first packets, part of "via gateway" time.',
        `API peak RSS = VmHWM of the API process, ${
          peakResettable
            ? 'reset (clear_refs) before each upload, so it is the peak during that upload'
            : 'not resettable here: the peak since the API started'
        }; "RSS before" is its VmRSS just before. CPU = user + system time from /proc/<pid>/stat (10 ms ticks) of the benchmark's own process (the client), the API and file_store, per MB moved.`,
      ],
    },
  };
}

/** What an upload costs the API besides moving its bytes and ffprobe: user, quota, publish. */
function fixedCostMs(transfer: Transfer): number {
  const { user = Number.NaN, quota = Number.NaN, publish = Number.NaN } = transfer.serverTiming;
  return user + quota + publish;
}

function addTo<T extends Record<string, number>>(total: T, more: Record<string, number>): void {
  for (const key of Object.keys(total)) {
    (total as Record<string, number>)[key] = (total[key] ?? 0) + (more[key] ?? 0);
  }
}
