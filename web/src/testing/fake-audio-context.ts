import type { LevellingContext } from '../lib/player/levelling.ts';

/**
 * Web Audio as far as the leveller uses it (jsdom has none), recording what it is asked: pass
 * `create` as the player's `createAudioContext`.
 */
export function fakeAudioContext({ state = 'running' } = {}) {
  const calls: string[] = [];
  const targets: number[] = [];
  const destination = { name: 'destination' } as unknown as AudioNode;
  const gain = {
    gain: {
      value: 1,
      setTargetAtTime(value: number, _start: number, timeConstant: number) {
        targets.push(value);
        calls.push(`gain → ${value.toFixed(3)} (τ ${timeConstant} s)`);
      },
    },
    connect(node: AudioNode) {
      calls.push(`gain.connect(${node === destination ? 'destination' : 'other'})`);
      return node;
    },
  };
  const context = {
    state,
    currentTime: 0,
    destination,
    resume() {
      calls.push('resume');
      context.state = 'running';
      return Promise.resolve();
    },
    createGain() {
      calls.push('createGain');
      return gain as unknown as GainNode;
    },
    createMediaElementSource(media: HTMLMediaElement) {
      calls.push(`createMediaElementSource(${media.tagName.toLowerCase()})`);
      return {
        connect(node: unknown) {
          calls.push(`source.connect(${node === gain ? 'gain' : 'other'})`);
          return node;
        },
      } as unknown as MediaElementAudioSourceNode;
    },
  };
  const created: LevellingContext[] = [];
  return {
    create: () => {
      calls.push('new AudioContext');
      created.push(context);
      return context;
    },
    calls,
    targets,
    created,
  };
}
