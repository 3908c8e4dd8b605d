import type { Sound } from '../api/client.ts';
import {
  browserAudioContext,
  type CreateLevellingContext,
  Leveller,
  levellingGainDb,
} from './levelling.ts';

/** Where the "Level volume" switch is remembered between visits. */
export const LEVELLING_STORAGE_KEY = 'cloud-sound:level-volume';

/**
 * Why the sound in the player is not playing: its original is not something this browser plays
 * and its rendition is still being made (`preparing`, not a failure), there is no file it can
 * play at all (`unplayable`), or its file failed to load (`failed`).
 */
export type PlayerNotice = 'preparing' | 'unplayable' | 'failed';

/** What the one player of the app is doing; the audio element itself is the truth for time. */
export interface PlayerState {
  sound: Sound | null;
  /** The list the sound was started from: previous and next walk through it. */
  queue: Sound[];
  /** Which list the queue is (a listing's key), so that list can keep it up to date. */
  queueId: string | null;
  playing: boolean;
  /** Seconds. */
  currentTime: number;
  /** Seconds; from the API until the audio element knows better. */
  duration: number;
  volume: number;
  /** Whether sounds are levelled to one loudness (the "Level volume" switch). */
  levelling: boolean;
  notice: PlayerNotice | null;
}

export interface PlayOptions {
  queue?: Sound[];
  queueId?: string;
  /** Start at this many seconds. */
  at?: number;
}

export interface PlayerOptions {
  /** Web Audio for levelling; tests pass a stand-in (the default is the browser's, if any). */
  createAudioContext?: CreateLevellingContext | undefined;
}

/**
 * The file a player plays: the listening rendition once it exists, else the original when the
 * browser says it may play its type (`canPlay`), else nothing yet.
 */
export function playableUrl(sound: Sound, canPlay: (type: string) => boolean): string | null {
  if (sound.processing === 'ready' && sound.streamUrl) return sound.streamUrl;
  return canPlay(sound.contentType) ? sound.audioUrl : null;
}

/**
 * The app's single audio element and the state around it. Exactly one exists (made by
 * `PlayerProvider`), so starting a sound always stops the one playing, and wavesurfer gets the
 * same element through its `media` option.
 */
export class PlayerStore {
  readonly audio: HTMLAudioElement;
  private state: PlayerState = {
    sound: null,
    queue: [],
    queueId: null,
    playing: false,
    currentTime: 0,
    duration: 0,
    volume: 1,
    levelling: readLevelling(),
    notice: null,
  };
  private readonly listeners = new Set<() => void>();
  private readonly leveller: Leveller;
  /** What the element was given for the current sound; null while it has nothing to play. */
  private source: string | null = null;
  /** The sound whose original failed to play here (it waits for its rendition). */
  private originalFailed: string | null = null;

  constructor(audio: HTMLAudioElement, options: PlayerOptions = {}) {
    this.audio = audio;
    audio.preload = 'metadata';
    // The API is another origin: without CORS mode, Web Audio would get silence from it.
    audio.crossOrigin = 'anonymous';
    this.leveller = new Leveller(
      audio,
      'createAudioContext' in options ? options.createAudioContext : browserAudioContext(),
    );
    this.leveller.set(0);
    const sync = () =>
      this.set({
        currentTime: audio.currentTime,
        duration:
          Number.isFinite(audio.duration) && audio.duration > 0
            ? audio.duration
            : this.state.duration,
      });
    audio.addEventListener('timeupdate', sync);
    audio.addEventListener('seeked', sync);
    audio.addEventListener('durationchange', sync);
    audio.addEventListener('play', () => this.set({ playing: true }));
    audio.addEventListener('pause', () => this.set({ playing: false }));
    audio.addEventListener('volumechange', () => this.set({ volume: audio.volume }));
    audio.addEventListener('ended', () => {
      this.set({ playing: false });
      if (this.neighbour(1)) this.next();
    });
    audio.addEventListener('error', () => {
      if (this.source !== null && audio.error) this.cannotPlay();
    });
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getState = (): PlayerState => this.state;

  private set(change: Partial<PlayerState>): void {
    const before = this.state;
    this.state = { ...before, ...change };
    if (this.state.sound !== before.sound || this.state.levelling !== before.levelling) {
      const { sound, levelling } = this.state;
      this.leveller.set(levelling && sound ? levellingGainDb(sound.loudness) : 0);
    }
    for (const listener of this.listeners) listener();
  }

  private canPlay = (type: string): boolean => this.audio.canPlayType(type) !== '';

  /**
   * Gives the element the sound's file, from `start` seconds; when there is none it can play yet,
   * empties it and says why. False in that case.
   */
  private load(sound: Sound, start: number): boolean {
    const url =
      this.originalFailed === sound.id && !(sound.processing === 'ready' && sound.streamUrl)
        ? null
        : playableUrl(sound, this.canPlay);
    this.source = url;
    if (url === null) {
      this.audio.pause();
      this.audio.removeAttribute('src');
      this.audio.load();
      this.set({
        playing: false,
        notice: sound.processing === 'pending' ? 'preparing' : 'unplayable',
      });
      return false;
    }
    this.audio.src = url;
    if (start > 0) this.audio.currentTime = start;
    this.set({ notice: null });
    return true;
  }

  /** The element could not play its file: an original still being prepared waits for it. */
  private cannotPlay(): void {
    const sound = this.state.sound;
    if (!sound) return;
    const original = this.source === sound.audioUrl;
    this.source = null;
    if (original && sound.processing === 'pending') {
      this.originalFailed = sound.id;
      this.set({ playing: false, notice: 'preparing' });
    } else {
      this.set({ playing: false, notice: 'failed' });
    }
  }

  /**
   * A newer copy of the sound in the player: when it was waiting for a file it can play (its
   * rendition is ready now), the element gets it, ready for Play.
   */
  private adopt(fresh: Sound): void {
    this.set({ sound: fresh });
    if (this.source === null) this.load(fresh, this.state.currentTime);
  }

  /** Plays `sound` (from the start, or `at`); the sound playing before stops. */
  play(sound: Sound, options: PlayOptions = {}): void {
    const current = this.state.sound;
    const queue = options.queue ?? (current ? this.state.queue : [sound]);
    const queueId = options.queueId ?? (options.queue ? null : this.state.queueId);
    if (current?.id === sound.id) {
      this.set({ queue, queueId, sound });
      if (options.at !== undefined) {
        if (this.source !== null) this.seek(options.at);
        else this.set({ currentTime: options.at });
      }
      this.resume();
      return;
    }
    const start = options.at ?? 0;
    this.set({
      sound,
      queue: queue.some((item) => item.id === sound.id) ? queue : [sound],
      queueId,
      currentTime: start,
      duration: sound.durationMs !== null ? sound.durationMs / 1000 : 0,
      notice: null,
    });
    if (this.load(sound, start)) this.resume();
  }

  resume(): void {
    const sound = this.state.sound;
    if (!sound) return;
    // Nothing it could play before (being prepared, or failed to load): look again.
    if (this.source === null && !this.load(sound, this.state.currentTime)) return;
    // Called from a person's gesture (a click, a key, a media key), where Web Audio may start.
    if (this.state.levelling) this.leveller.start();
    Promise.resolve(this.audio.play()).catch((error: unknown) => {
      // A type the browser turned down after all; autoplay refusals and interrupted loads leave
      // the play button at "Play".
      if ((error as { name?: unknown } | null)?.name === 'NotSupportedError') this.cannotPlay();
      else this.set({ playing: false });
    });
  }

  pause(): void {
    this.audio.pause();
  }

  toggle(): void {
    if (this.state.playing) this.pause();
    else this.resume();
  }

  /** Seconds from the start, kept within the sound. */
  seek(seconds: number): void {
    if (!this.state.sound) return;
    const end = this.state.duration || Number.POSITIVE_INFINITY;
    const time = Math.min(Math.max(0, seconds), end);
    this.audio.currentTime = time;
    this.set({ currentTime: time });
  }

  seekBy(seconds: number): void {
    this.seek(this.audio.currentTime + seconds);
  }

  setVolume(volume: number): void {
    this.audio.volume = Math.min(1, Math.max(0, volume));
    this.set({ volume: this.audio.volume });
  }

  /** The "Level volume" switch: remembered for the next visit, applied at once (smoothly). */
  setLevelling(levelling: boolean): void {
    try {
      localStorage.setItem(LEVELLING_STORAGE_KEY, levelling ? 'on' : 'off');
    } catch {
      // Without storage the choice lasts until the page is closed.
    }
    // Switched on during a gesture: Web Audio may start now.
    if (levelling && this.state.sound) this.leveller.start();
    this.set({ levelling });
  }

  /** The sound before (-1) or after (1) the current one in its list. */
  neighbour(step: -1 | 1): Sound | undefined {
    const { queue, sound } = this.state;
    const index = queue.findIndex((item) => item.id === sound?.id);
    return index === -1 ? undefined : queue[index + step];
  }

  next(): void {
    const sound = this.neighbour(1);
    if (sound) this.play(sound);
  }

  /** Back to the start of the sound when it has played a while, else the one before it. */
  previous(): void {
    const sound = this.neighbour(-1);
    if (this.audio.currentTime > 3 || !sound) this.seek(0);
    else this.play(sound);
  }

  /**
   * A listing changed (more loaded, a rename, a delete, processing done): the queue started
   * from it follows, and the sound playing takes the newest copy of itself found in any list.
   */
  updateQueue(queueId: string, sounds: Sound[]): void {
    const current = this.state.sound;
    const fresh = current ? sounds.find((item) => item.id === current.id) : undefined;
    if (this.state.queueId === queueId) {
      // The playing sound stays in the queue even when it left the list (a search changed).
      this.set({ queue: fresh || !current ? sounds : this.state.queue });
    }
    if (fresh && fresh !== current) this.adopt(fresh);
  }

  /** A newer copy of a sound (renamed, processed): the player bar shows it, and plays it. */
  updateSound(sound: Sound): void {
    if (this.state.sound?.id === sound.id && this.state.sound !== sound) this.adopt(sound);
  }

  /** The sound was deleted: it stops and leaves the player. */
  remove(soundId: string): void {
    const queue = this.state.queue.filter((item) => item.id !== soundId);
    if (this.state.sound?.id !== soundId) {
      this.set({ queue });
      return;
    }
    this.audio.pause();
    this.audio.removeAttribute('src');
    this.source = null;
    this.set({
      sound: null,
      queue: [],
      queueId: null,
      playing: false,
      currentTime: 0,
      notice: null,
    });
  }
}

/** The switch as last left; on by default. */
function readLevelling(): boolean {
  try {
    return localStorage.getItem(LEVELLING_STORAGE_KEY) !== 'off';
  } catch {
    return true;
  }
}
