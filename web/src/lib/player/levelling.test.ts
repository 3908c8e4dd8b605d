import { describe, expect, it } from 'vitest';
import { fakeAudioContext } from '../../testing/fake-audio-context.ts';
import {
  dbToGain,
  Leveller,
  levellingGainDb,
  MAX_BOOST_DB,
  TARGET_LUFS,
  TRUE_PEAK_CEILING_DBTP,
} from './levelling.ts';

describe('the levelling gain', () => {
  it('brings a sound to −14 LUFS: down when louder, up when quieter', () => {
    expect(TARGET_LUFS).toBe(-14);
    expect(levellingGainDb({ integratedLufs: -8, truePeakDbtp: -0.5 })).toBeCloseTo(-6);
    expect(levellingGainDb({ integratedLufs: -18.4, truePeakDbtp: -9 })).toBeCloseTo(4.4);
    expect(levellingGainDb({ integratedLufs: -14, truePeakDbtp: -3 })).toBeCloseTo(0);
  });

  it('never lifts the true peak above −1 dBTP', () => {
    expect(TRUE_PEAK_CEILING_DBTP).toBe(-1);
    // 6 dB would bring it to the target, but its peak allows 3.
    expect(levellingGainDb({ integratedLufs: -20, truePeakDbtp: -4 })).toBeCloseTo(3);
    // A peak already above the ceiling is brought down to it, even for a quiet sound.
    expect(levellingGainDb({ integratedLufs: -16, truePeakDbtp: 0.5 })).toBeCloseTo(-1.5);
    for (const [integratedLufs, truePeakDbtp] of [
      [-30, -2],
      [-10, 1],
      [-14, -1],
      [-40, -30],
    ] as const) {
      expect(truePeakDbtp + levellingGainDb({ integratedLufs, truePeakDbtp })).toBeLessThanOrEqual(
        TRUE_PEAK_CEILING_DBTP + 1e-9,
      );
    }
  });

  it('lifts a quiet sound by 12 dB at most', () => {
    expect(MAX_BOOST_DB).toBe(12);
    expect(levellingGainDb({ integratedLufs: -40, truePeakDbtp: -30 })).toBe(12);
  });

  it('changes nothing when the loudness is unknown', () => {
    expect(levellingGainDb(null)).toBe(0);
  });

  it('turns dB into the factor a GainNode takes', () => {
    expect(dbToGain(0)).toBe(1);
    expect(dbToGain(-6)).toBeCloseTo(0.501, 3);
    expect(dbToGain(12)).toBeCloseTo(3.981, 3);
  });
});

describe('the leveller', () => {
  it('wires element → gain → speakers on its first start, not before, and only once', () => {
    const audio = document.createElement('audio');
    const web = fakeAudioContext();
    const leveller = new Leveller(audio, web.create);
    leveller.set(-6);
    expect(web.calls).toEqual([]);

    leveller.start();
    leveller.start();
    expect(web.calls).toEqual([
      'new AudioContext',
      'createMediaElementSource(audio)',
      'createGain',
      'source.connect(gain)',
      'gain.connect(destination)',
      'gain → 0.501 (τ 0.05 s)',
    ]);

    // Later changes glide there.
    leveller.set(3);
    expect(web.calls.at(-1)).toBe('gain → 1.413 (τ 0.05 s)');
  });

  it('wires a suspended context only once it runs, so the element is never silenced', async () => {
    const web = fakeAudioContext({ state: 'suspended' });
    const leveller = new Leveller(document.createElement('audio'), web.create);
    leveller.start();
    expect(web.calls).toEqual(['new AudioContext', 'resume']);
    await Promise.resolve();
    expect(web.calls).toContain('createMediaElementSource(audio)');
  });

  it('does nothing where there is no Web Audio', () => {
    const leveller = new Leveller(document.createElement('audio'), undefined);
    expect(() => {
      leveller.start();
      leveller.set(5);
    }).not.toThrow();
  });
});
