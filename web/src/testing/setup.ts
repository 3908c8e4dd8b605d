import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => {
  cleanup();
  // The session lives in localStorage: every test starts logged out.
  if (typeof localStorage !== 'undefined') localStorage.clear();
});
