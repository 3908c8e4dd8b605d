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

  it('raises a quiet sound only as far as its true peak stays at or below −1 dBTP', () => {
    expect(TRUE_PEAK_CEILING_DBTP).toBe(-1);
    // 6 dB would bring it to the target, but its peak allows 3.
    expect(levellingGainDb({ integratedLufs: -20, truePeakDbtp: -4 })).toBeCloseTo(3);
    for (const [integratedLufs, truePeakDbtp] of [
      [-30, -2],
      [-14, -1],
      [-40, -30],
      [-15, -1.5],
    ] as const) {
      const gain = levellingGainDb({ integratedLufs, truePeakDbtp });
      expect(gain).toBeGreaterThanOrEqual(0);
      expect(truePeakDbtp + gain).toBeLessThanOrEqual(TRUE_PEAK_CEILING_DBTP + 1e-9);
    }
  });

  // Where the rule changed: the old one, min(−14 − LUFS, −1 − true peak, +12), gave the last
  // column; the true-peak cap now limits only a boost.
  it.each([
    // A quiet sound whose peak is already above −1 dBTP is left as it is, never turned down.
    [-16, 0.5, 0, -1.5],
    [-17, -0.2, 0, -0.8],
    [-30, 3, 0, -4],
    // A loud sound is turned down to the target by its loudness alone, whatever its peak.
    [-12, 1.5, -2, -2.5],
    [-13, 2, -1, -3],
    // A sound at the target with a hot peak is not touched.
    [-14, 0.5, 0, -1.5],
  ])(
    '%d LUFS with a true peak of %d dBTP gets %d dB (not %d)',
    (integratedLufs, truePeakDbtp, gain) => {
      expect(levellingGainDb({ integratedLufs, truePeakDbtp })).toBeCloseTo(gain);
    },
  );

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
