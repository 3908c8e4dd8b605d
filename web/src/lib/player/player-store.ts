import type { Sound } from '../api/client.ts';

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
}

export interface PlayOptions {
  queue?: Sound[];
  queueId?: string;
  /** Start at this many seconds. */
  at?: number;
}

/** The file a player plays: the listening rendition once it exists, else the original. */
export function playableUrl(sound: Sound): string {
  return sound.processing === 'ready' && sound.streamUrl ? sound.streamUrl : sound.audioUrl;
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
  };
  private readonly listeners = new Set<() => void>();

  constructor(audio: HTMLAudioElement) {
    this.audio = audio;
    audio.preload = 'metadata';
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
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getState = (): PlayerState => this.state;

  private set(change: Partial<PlayerState>): void {
    this.state = { ...this.state, ...change };
    for (const listener of this.listeners) listener();
  }

  /** Plays `sound` (from the start, or `at`); the sound playing before stops. */
  play(sound: Sound, options: PlayOptions = {}): void {
    const current = this.state.sound;
    const queue = options.queue ?? (current ? this.state.queue : [sound]);
    const queueId = options.queueId ?? (options.queue ? null : this.state.queueId);
    if (current?.id === sound.id) {
      this.set({ queue, queueId, sound });
      if (options.at !== undefined) this.seek(options.at);
      this.resume();
      return;
    }
    const start = options.at ?? 0;
    this.audio.src = playableUrl(sound);
    if (start > 0) this.audio.currentTime = start;
    this.set({
      sound,
      queue: queue.some((item) => item.id === sound.id) ? queue : [sound],
      queueId,
      currentTime: start,
      duration: sound.durationMs !== null ? sound.durationMs / 1000 : 0,
    });
    this.resume();
  }

  resume(): void {
    if (!this.state.sound) return;
    // Autoplay refusals and interrupted loads land here; the play button stays "Play".
    Promise.resolve(this.audio.play()).catch(() => this.set({ playing: false }));
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
    if (this.state.queueId !== queueId) {
      if (fresh && fresh !== current) this.set({ sound: fresh });
      return;
    }
    // The playing sound stays in the queue even when it left the list (a search changed).
    this.set({
      queue: fresh || !current ? sounds : this.state.queue,
      sound: fresh ?? current,
    });
  }

  /** A newer copy of a sound (renamed, processed): the player bar shows it. */
  updateSound(sound: Sound): void {
    if (this.state.sound?.id === sound.id) this.set({ sound });
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
    this.set({ sound: null, queue: [], queueId: null, playing: false, currentTime: 0 });
  }
}
