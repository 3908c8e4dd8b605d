import type { Sound } from '../api/client.ts';

/** The loudness every sound is levelled to (the streaming services' common −14 LUFS). */
export const TARGET_LUFS = -14;
/** No sound is raised past this true peak, so levelling never makes it clip. */
export const TRUE_PEAK_CEILING_DBTP = -1;
/** The most a quiet sound is raised. */
export const MAX_BOOST_DB = 12;
/** How quickly the gain moves to a new value (seconds; it is ~95 % there after three). */
const GAIN_TIME_CONSTANT_S = 0.05;

/**
 * The gain, in dB, that brings a sound to `TARGET_LUFS`. Turning a loud sound down is always
 * allowed (it only lowers its peak); a quiet sound is raised at most `MAX_BOOST_DB`, and only so
 * far that its true peak stays at or below `TRUE_PEAK_CEILING_DBTP` (not at all when it is
 * already above: such a sound is left as it is, never turned down for its peak). 0 (no change)
 * when its loudness is unknown (not processed yet, or too short or quiet to measure).
 */
export function levellingGainDb(loudness: Sound['loudness']): number {
  if (!loudness) return 0;
  const toTarget = TARGET_LUFS - loudness.integratedLufs;
  const gain =
    toTarget <= 0
      ? toTarget
      : Math.min(
          toTarget,
          Math.max(0, TRUE_PEAK_CEILING_DBTP - loudness.truePeakDbtp),
          MAX_BOOST_DB,
        );
  return Number.isFinite(gain) ? gain : 0;
}

/** dB to the factor a GainNode multiplies by. */
export function dbToGain(db: number): number {
  return 10 ** (db / 20);
}

/** The part of Web Audio levelling uses: what a test's stand-in must have. */
export interface LevellingContext {
  readonly state: string;
  readonly currentTime: number;
  readonly destination: AudioNode;
  resume(): Promise<void>;
  createGain(): GainNode;
  createMediaElementSource(media: HTMLMediaElement): MediaElementAudioSourceNode;
}

export type CreateLevellingContext = () => LevellingContext;

/** The browser's AudioContext; undefined where there is none (then nothing is levelled). */
export function browserAudioContext(): CreateLevellingContext | undefined {
  const Context =
    globalThis.AudioContext ??
    (globalThis as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  return Context ? () => new Context({ latencyHint: 'playback' }) : undefined;
}

/**
 * One gain between the app's audio element and the speakers: element → GainNode → destination.
 * Made on the first `start()` (a play, inside a person's gesture: an AudioContext made earlier
 * would stay suspended), and wired only once the context runs, so until then the element plays
 * as it is. The element must be `crossOrigin = 'anonymous'` and its files answered with CORS,
 * or Web Audio gets silence.
 */
export class Leveller {
  private context: LevellingContext | null = null;
  private gain: GainNode | null = null;
  private target = 1;
  private readonly audio: HTMLMediaElement;
  private createContext: CreateLevellingContext | undefined;

  constructor(audio: HTMLMediaElement, createContext: CreateLevellingContext | undefined) {
    this.audio = audio;
    this.createContext = createContext;
  }

  /** Moves the gain smoothly to `db` (kept until the graph exists, then applied). */
  set(db: number): void {
    this.target = dbToGain(db);
    if (this.gain && this.context) {
      this.gain.gain.setTargetAtTime(this.target, this.context.currentTime, GAIN_TIME_CONSTANT_S);
    }
  }

  /** Makes the graph, or wakes its context (a browser may suspend it); call it on a play. */
  start(): void {
    if (!this.context) {
      if (!this.createContext) return;
      try {
        this.context = this.createContext();
      } catch {
        this.createContext = undefined; // No Web Audio after all: the element plays as it is.
        return;
      }
    }
    const context = this.context;
    if (context.state === 'running') {
      this.connect();
      return;
    }
    context.resume().then(
      () => {
        if (context.state === 'running') this.connect();
      },
      () => {},
    );
  }

  private connect(): void {
    if (this.gain || !this.context) return;
    try {
      const source = this.context.createMediaElementSource(this.audio);
      const gain = this.context.createGain();
      // From where the element plays now (unchanged) to the target, without a jump.
      gain.gain.value = 1;
      source.connect(gain).connect(this.context.destination);
      this.gain = gain;
    } catch {
      this.createContext = undefined;
      return;
    }
    this.gain.gain.setTargetAtTime(this.target, this.context.currentTime, GAIN_TIME_CONSTANT_S);
  }
}
