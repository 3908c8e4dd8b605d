/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Base URL of the Cloud Sound API, inlined at build time (default http://localhost:8080). */
  readonly VITE_API_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
