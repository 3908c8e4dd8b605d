import { chromium } from 'playwright-core';

/**
 * What a browser uploads when someone records in it: Debian's Chromium, headless, records a
 * tone with its own MediaRecorder in every audio type it says it supports. The bytes are the
 * browser's, untouched (streamed WebM/Matroska with unknown sizes, fragmented MP4, ...).
 */

/** Audio types a page might ask for; only those `isTypeSupported` accepts are recorded. */
export const CANDIDATE_TYPES = [
  'audio/webm',
  'audio/webm;codecs=opus',
  'audio/webm;codecs=pcm',
  'audio/webm;codecs=vorbis',
  'audio/ogg',
  'audio/ogg;codecs=opus',
  'audio/ogg;codecs=vorbis',
  'audio/mp4',
  'audio/mp4;codecs=opus',
  'audio/mp4;codecs=mp4a.40.2',
  'audio/mp4;codecs=flac',
  'audio/x-matroska',
  'audio/x-matroska;codecs=opus',
  'audio/x-matroska;codecs=pcm',
  'audio/wav',
  'audio/mpeg',
];

export interface Recording {
  /** The type the page asked for. */
  requested: string;
  /** The type MediaRecorder says it wrote. */
  mimeType: string;
  bytes: Buffer;
}

export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--autoplay-policy=no-user-gesture-required',
];

/**
 * Records `seconds` of a 440 Hz OscillatorNode in every supported candidate type. All the
 * recorders listen to one MediaStreamAudioDestinationNode at once, so the whole run takes
 * about `seconds`, however many types there are.
 */
export async function recordInEveryType(seconds = 1.5): Promise<Recording[]> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto('about:blank');
    const recorded = await page.evaluate(recordInPage, {
      types: CANDIDATE_TYPES,
      ms: seconds * 1000,
    });
    return recorded.map((r) => ({ ...r, bytes: Buffer.from(r.base64, 'base64') }));
  } finally {
    await browser.close();
  }
}

/** The few Web Audio and MediaRecorder APIs the page uses (this project's types have no DOM). */
interface AudioNodeLike {
  connect<T extends AudioNodeLike>(node: T): T;
}

interface RecorderLike {
  readonly mimeType: string;
  ondataavailable: (event: { data: Blob }) => void;
  onerror: () => void;
  onstop: () => void;
  start(): void;
  stop(): void;
}

interface PageGlobals {
  AudioContext: new () => { resume(): Promise<void>; close(): Promise<void> };
  OscillatorNode: new (
    context: unknown,
    options: { frequency: number },
  ) => AudioNodeLike & { start(): void; stop(): void };
  GainNode: new (context: unknown, options: { gain: number }) => AudioNodeLike;
  MediaStreamAudioDestinationNode: new (context: unknown) => AudioNodeLike & { stream: unknown };
  MediaRecorder: {
    new (stream: unknown, options: { mimeType: string }): RecorderLike;
    isTypeSupported(type: string): boolean;
  };
}

/** Runs in the page: serialized by Playwright, so it may use nothing from this module. */
async function recordInPage({ types, ms }: { types: string[]; ms: number }) {
  const web = globalThis as unknown as PageGlobals;
  const context = new web.AudioContext();
  await context.resume();
  const oscillator = new web.OscillatorNode(context, { frequency: 440 });
  const gain = new web.GainNode(context, { gain: 0.25 });
  const destination = new web.MediaStreamAudioDestinationNode(context);
  oscillator.connect(gain).connect(destination);
  oscillator.start();

  const record = (type: string) =>
    new Promise<{ requested: string; mimeType: string; base64: string }>((resolve, reject) => {
      const recorder = new web.MediaRecorder(destination.stream, { mimeType: type });
      const chunks: Blob[] = [];
      recorder.ondataavailable = (event) => chunks.push(event.data);
      recorder.onerror = () => reject(new Error(`MediaRecorder failed for ${type}`));
      recorder.onstop = async () => {
        const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
        // btoa wants a binary string; build it in slices to stay under the argument limit.
        let binary = '';
        for (let at = 0; at < bytes.length; at += 0x8000)
          binary += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
        resolve({ requested: type, mimeType: recorder.mimeType, base64: btoa(binary) });
      };
      recorder.start();
      setTimeout(() => recorder.stop(), ms);
    });

  const supported = types.filter((type) => web.MediaRecorder.isTypeSupported(type));
  const recordings = await Promise.all(supported.map(record));
  oscillator.stop();
  await context.close();
  return recordings;
}
