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
  /** the first of `paths` (the failing path, when there is one) */
  steps: PathStep[];
  final?: LedgerState;
  /** every path pinlens can show for this position, failing paths first */
  paths: SimulationPath[];
}

/** One simulated path through the function, step by step. */
export interface SimulationPath {
  /** for the picker: `release-without-reference at line 20` */
  label: string;
  /** the finding the path breaks, if any */
  code?: string;
  message?: string;
  steps: SimulationStep[];
  final?: LedgerState;
  /** what the bad step does to the page (the finding's consequence) */
  consequence?: string;
}

export interface SimulationStep extends PathStep {
  /** the step that breaks the rule: the finding's own line */
  flagged?: boolean;
  /** for extracted pages whose backing the path does not know: the ledger if the iterator is user-backed (`ledger` is kernel-backed) */
  ifPinned?: LedgerState;
}

/** Request: check every C file under a folder and publish their diagnostics. */
export const CheckFolderRequest = 'pinlens/checkFolder';
export interface CheckFolderParams {
  uri: string;
  /** work-done progress of the client's (else the server creates its own when the client supports it). */
  workDoneToken?: string | number;
}
export interface CheckFolderResult { files: number; callSites: number; findings: number; skipped: string[] }

/** Notification (server → client): a workspace folder's index is being built, or is done. */
export const IndexingNotification = 'pinlens/indexing';
export interface IndexingParams {
  /** the folder's path */
  folder: string;
  indexing: boolean;
  /** when done: how long it took, C files scanned, files skipped */
  ms?: number;
  files?: number;
  skipped?: number;
}

/** Command ids the server puts into code lenses; the client implements them. */
export const ShowSimulationCommand = 'pinlens.showSimulation';
export const RevealReleasesCommand = 'pinlens.revealReleases';

/** `command.arguments` of the code lenses, as the server sends them. */
export type ShowSimulationArgs = [SimulationParams];
/** The document and the ranges of every release of one call site. */
export type RevealReleasesArgs = [uri: string, ranges: import('./core/types').Range[]];
