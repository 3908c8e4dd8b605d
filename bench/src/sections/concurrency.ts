// 4. Concurrency: 16 uploads at once through the API while the listing load of section 3 runs;
// every upload must succeed, and the listing's p99 shows what the uploads cost readers.
import { MB, type Transfer, uploadWav } from '../http.ts';
import { startLoad } from '../load.ts';
import { fixed, sizeLabel } from '../table.ts';
import { type BenchContext, errorCell, type SectionReport } from './context.ts';

/** The listing load's upper bound; it is stopped as soon as the uploads are done. */
const MAX_LOAD_SECONDS = 300;

export async function runConcurrencySection(context: BenchContext): Promise<SectionReport> {
  const { plan, system, userId } = context;
  const count = plan.concurrentUploads;
  const size = plan.concurrentUploadBytes;
  const title = `4. Concurrency (${count} simultaneous ${sizeLabel(size)} uploads during the listing load)`;
  const header = [
    'uploads OK',
    'total upload MB/s',
    'uploads took s',
    'listing req/s',
    'listing p50 ms',
    'listing p99 ms',
    'listing errors + non-2xx',
  ];

  const load = startLoad({
    url: `${system.urls.api}/sounds?limit=${plan.listingPageSize}`,
    connections: plan.loadConnections,
    seconds: MAX_LOAD_SECONDS,
  });
  try {
    // Let the load reach its steady state before the uploads start.
    await new Promise((done) => setTimeout(done, plan.smoke ? 200 : 1000));
    const began = performance.now();
    const uploads = await Promise.allSettled(
      Array.from({ length: count }, () =>
        uploadWav(`${system.urls.api}/sounds`, {
          field: 'file',
          totalBytes: size,
          headers: { 'x-user-id': String(userId) },
        }),
      ),
    );
    const seconds = (performance.now() - began) / 1000;
    load.stop();
    const listing = await load.result;
    const ok = uploads.filter(
      (upload): upload is PromiseFulfilledResult<Transfer> =>
        upload.status === 'fulfilled' && upload.value.status === 201,
    );
    const failures = uploads.length - ok.length;
    const firstFailure = uploads.find(
      (upload) => upload.status === 'rejected' || upload.value.status !== 201,
    );
    const failureText =
      firstFailure?.status === 'rejected'
        ? String(firstFailure.reason)
        : firstFailure
          ? `${firstFailure.value.status} ${firstFailure.value.text}`
          : '';
    return {
      title,
      header,
      rows: [
        [
          failures === 0
            ? `${ok.length}/${count}`
            : errorCell(`${failures} of ${count} failed: ${failureText}`),
          fixed((ok.length * size) / MB / seconds),
          fixed(seconds, 2),
          fixed(listing.requestsPerSecond, 0),
          fixed(listing.p50Ms, 0),
          fixed(listing.p99Ms, 0),
          listing.errors + listing.non2xx,
        ],
      ],
      notes: [
        `The listing load (${plan.loadConnections} connections) started ${plan.smoke ? 0.2 : 1} s before the uploads and was stopped when the last one finished; its figures cover that window (${fixed(listing.seconds, 1)} s).`,
      ],
    };
  } catch (error) {
    load.stop();
    await load.result.catch(() => {});
    return { title, header, rows: [[errorCell(error), '', '', '', '', '', 1]], notes: [] };
  }
}
