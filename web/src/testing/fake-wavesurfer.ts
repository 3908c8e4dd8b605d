import { vi } from 'vitest';

/** What the app passed to `WaveSurfer.create`, newest last (jsdom cannot draw on a canvas). */
export const wavesurferInstances: Array<{
  options: Record<string, unknown>;
  destroyed: boolean;
  emit: (event: string, ...args: unknown[]) => void;
}> = [];

vi.mock('wavesurfer.js', () => ({
  default: {
    create(options: Record<string, unknown>) {
      const listeners = new Map<string, Array<(...args: unknown[]) => void>>();
      const instance = {
        options,
        destroyed: false,
        emit: (event: string, ...args: unknown[]) => {
          for (const listener of listeners.get(event) ?? []) listener(...args);
        },
        on(event: string, listener: (...args: unknown[]) => void) {
          listeners.set(event, [...(listeners.get(event) ?? []), listener]);
        },
        destroy() {
          instance.destroyed = true;
        },
      };
      wavesurferInstances.push(instance);
      return instance;
    },
  },
}));
