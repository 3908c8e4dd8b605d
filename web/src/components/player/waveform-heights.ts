/**
 * Waveform heights in CSS pixels. wavesurfer.js puts a <style> with the height in it into its
 * shadow root, so web/nginx's Content-Security-Policy allows exactly these styles by their
 * hashes (test/nginx.test.ts checks that they match): a new height needs a new hash there.
 */
export const WAVEFORM_HEIGHTS = { small: 48, large: 128 } as const;
