// The one file shared by the VS Code client and the language server: custom
// request names and their plain-data payloads. No imports from vscode or
// vscode-languageserver here.
import type { PathStep, LedgerState, Mode } from './core/types';

/** Request: the simulated path behind a call site or finding at a position. */
export const SimulationRequest = 'pinlens/simulation';
export interface SimulationParams { uri: string; line: number; character: number }
export interface SimulationResult {
  title: string;
  function: string;
  api?: string;
  mode?: Mode;
  steps: PathStep[];
  final?: LedgerState;
}

/** Request: check every C file under a folder and publish their diagnostics. */
export const CheckFolderRequest = 'pinlens/checkFolder';
export interface CheckFolderParams {
  uri: string;
  /** work-done progress of the client's (else the server creates its own when the client supports it). */
  workDoneToken?: string | number;
}
export interface CheckFolderResult { files: number; callSites: number; findings: number; skipped: string[] }

/** Command ids the server puts into code lenses; the client implements them. */
export const ShowSimulationCommand = 'pinlens.showSimulation';
export const RevealReleasesCommand = 'pinlens.revealReleases';

/** `command.arguments` of the code lenses, as the server sends them. */
export type ShowSimulationArgs = [SimulationParams];
/** The document and the ranges of every release of one call site. */
export type RevealReleasesArgs = [uri: string, ranges: import('./core/types').Range[]];
