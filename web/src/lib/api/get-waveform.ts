import { queryOptions, useQuery } from '@tanstack/react-query';
import { soundsKeys } from '../query-keys.ts';
import { api, unwrap } from './client.ts';

/** `GET /sounds/:id/waveform`: the precomputed peaks (audiowaveform JSON, 8-bit min/max pairs). */
export function getWaveform(soundId: string, signal?: AbortSignal) {
  return unwrap(api.GET('/sounds/{id}/waveform', { params: { path: { id: soundId } }, signal }));
}

/** The peaks as wavesurfer takes them: one channel of values in -1…1. */
export function toPeaks(data: number[]): number[] {
  return data.map((value) => Math.max(-1, value / 128));
}

export function waveformQueryOptions(soundId: string) {
  return queryOptions({
    queryKey: soundsKeys.waveform(soundId),
    queryFn: async ({ signal }) => toPeaks((await getWaveform(soundId, signal)).data),
    // A sound's waveform never changes (the API serves it immutable).
    staleTime: Number.POSITIVE_INFINITY,
  });
}

/** The peaks of a processed sound; nothing is asked while `enabled` is false. */
export function useWaveform(soundId: string, enabled: boolean) {
  return useQuery({ ...waveformQueryOptions(soundId), enabled });
}
