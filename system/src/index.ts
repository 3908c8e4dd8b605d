// @cloud-sound/system: the one way to start Cloud Sound's programs, for `pnpm start`,
// `pnpm dev`, the benchmarks, the end-to-end tests and every test that runs programs as
// child processes.
export { GATEWAY_UPSTREAM_ADDRESS, Gateway, gatewayConfig } from './gateway.ts';
export type { LineSink, LogMode } from './logs.ts';
export { findNginx, installNginx, type RunningNginx, startNginx } from './nginx.ts';
export type { LineMatch } from './output.ts';
export { DEFAULT_DATA_DIR, REPO_DIR } from './paths.ts';
export { freePorts } from './ports.ts';
export { killGroupOnExit, type ProgramExit } from './process-group.ts';
export { Program, type RunOptions } from './program.ts';
export {
  PROGRAM_NAMES,
  PROGRAMS,
  type ProgramName,
  type ProgramSettings,
  type SettingsByProgram,
  type WebSettings,
} from './programs.ts';
export { optionName, type SettingName, SettingsError, variableName } from './settings.ts';
export {
  MAX_API_REPLICAS,
  PortsBusyError,
  programDataDir,
  type RunningSystem,
  STOP_GRACE_MS,
  type SystemOptions,
  startSystem,
} from './system.ts';
export { type RunningWebNginx, startWebNginx } from './web-nginx.ts';
