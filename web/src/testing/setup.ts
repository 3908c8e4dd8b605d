import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';
import { eventSources, FakeEventSource } from './fake-event-source.ts';

// jsdom has media elements but cannot play: play() and pause() only say what a browser says.
if (typeof HTMLMediaElement !== 'undefined') {
  HTMLMediaElement.prototype.play = function play(this: HTMLMediaElement) {
    this.dispatchEvent(new Event('play'));
    return Promise.resolve();
  };
  HTMLMediaElement.prototype.pause = function pause(this: HTMLMediaElement) {
    this.dispatchEvent(new Event('pause'));
  };
  HTMLMediaElement.prototype.load = function load() {};
  // jsdom says '' (no) to every type; answer as Chromium does for the types every browser plays,
  // and '' for the others (WMA, AMR, AC-3, WavPack, CAF, Matroska…).
  HTMLMediaElement.prototype.canPlayType = function canPlayType(type: string) {
    return /^audio\/(mpeg|wav|x-wav|wave|ogg|opus|flac|x-flac|mp4|x-m4a|aac|webm)(;|$)/i.test(
      type.replaceAll(' ', ''),
    )
      ? 'maybe'
      : '';
  };
}

// jsdom has no EventSource: the app's live events stream is one the tests drive.
globalThis.EventSource = FakeEventSource as unknown as typeof EventSource;

afterEach(() => {
  cleanup();
  eventSources.length = 0;
  // The session lives in localStorage: every test starts logged out.
  if (typeof localStorage !== 'undefined') localStorage.clear();
});

// wavesurfer.js draws on canvases jsdom does not have; the tests check what it was given.
import './fake-wavesurfer.ts';
