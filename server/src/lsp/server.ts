// Binds LSP requests to the feature functions. Holds the open documents, the
// schedulers (debounce + cache per version) and the settings per resource;
// what the server knows about the files of its folders lives in the
// workspace (workspace.ts), and every analysis runs on an analysis thread
// (pool.ts), so requests are answered here while one runs: a request waiting
// for an analysis answers RequestCancelled as soon as it is cancelled, and
// shutdown ends the threads. Code actions read diagnostic data.
import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import { promises as fs } from 'fs';
import {
  CancellationToken, CodeActionKind, Connection, DidChangeConfigurationNotification, DidChangeWatchedFilesNotification, ErrorCodes,
  InitializeResult, LSPErrorCodes, ResponseError, TextDocuments, TextDocumentSyncKind,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Position, Settings } from '../core/types';
import {
  CheckFolderParams, CheckFolderRequest, CheckFolderResult, SimulationParams, SimulationRequest, SimulationResult,
} from '../protocol';
import { Analysed, mentionsPages } from './analysis';
import type { DocAnalysed } from './analyst';
import { isRange, noteDiagnostic, toCodeActions, toCodeLens, toDiagnostic, toHover, toPatchDiagnostic } from './convert';
import { patchHover } from './features/patch';
import { PatchAnalysed, isPatchDocument } from './patch';
import { Neighbour, codeLenses } from './features/lenses';
import { hoverAt } from './features/hover';
import { simulationAt } from './features/simulation';
import { readSource, walkC } from './folder';
import { Policy, Scheduler, Snapshot } from './scheduler';
import { ServerSettings, normaliseServerSettings } from './settings';
import { Workspace, fileOf } from './workspace';
import { Activity } from './activity';

export interface ServerOptions { docsBase: string; version: string; policy?: Policy }

function invalid(message: string): ResponseError<void> {
  return new ResponseError(ErrorCodes.InvalidParams, message);
}

function isPosition(p: unknown): p is Position {
  const x = p as Position | null;
  return !!x && Number.isInteger(x.line) && Number.isInteger(x.character) && x.line >= 0 && x.character >= 0;
}

/** The (uri, position) of a textDocument request, or an InvalidParams error. */
function docPosition(p: unknown): { uri: string; pos: Position } {
  const x = p as { textDocument?: { uri?: unknown }; position?: unknown } | null;
  if (!x || typeof x.textDocument?.uri !== 'string' || !isPosition(x.position)) throw invalid('expected { textDocument: { uri }, position: { line, character } }');
  return { uri: x.textDocument.uri, pos: x.position };
}

function docUri(p: unknown): string {
  const x = p as { textDocument?: { uri?: unknown } } | null;
  if (!x || typeof x.textDocument?.uri !== 'string') throw invalid('expected { textDocument: { uri } }');
  return x.textDocument.uri;
}

function cancelledError(): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
}

function checkCancelled(token: CancellationToken): void {
  if (token.isCancellationRequested) throw cancelledError();
}

/** `p`, or RequestCancelled as soon as the request is cancelled (an analysis it waits for may take long). */
function unlessCancelled<T>(p: Promise<T>, token: CancellationToken): Promise<T> {
  if (token.isCancellationRequested) return Promise.reject(cancelledError());
  return new Promise<T>((resolve, reject) => {
    const d = token.onCancellationRequested(() => reject(cancelledError()));
    p.then(v => { d.dispose(); resolve(v); }, e => { d.dispose(); reject(e); });
  });
}

/** An AbortSignal that follows a request's cancellation. */
function signalOf(token: CancellationToken): AbortSignal {
  const c = new AbortController();
  if (token.isCancellationRequested) c.abort();
  else token.onCancellationRequested(() => c.abort());
  return c.signal;
}

export function isC(doc: TextDocument): boolean {
  return doc.languageId === 'c' || /\.[ch]$/i.test(doc.uri);
}

export function startServer(conn: Connection, opts: ServerOptions): void {
  const documents = new TextDocuments(TextDocument);
  // editor hooks (activity.ts): indexing state for the status bar, the Output channel's log
  const activity = new Activity(conn);
  const settingsCache = new Map<string, Promise<ServerSettings>>();
  /** uris whose diagnostics came from a folder check (kept when their editor closes). */
  const fromFolder = new Set<string>();
  let pullConfig = false, dynamicConfig = false, progress = false, watchFiles = false;
  /** rootUri and workspace folders (file: URIs): where a patch document's tree is looked for. */
  let folders: string[] = [];
  let pushed: unknown = {};

  function serverSettingsFor(uri: string): Promise<ServerSettings> {
    if (!pullConfig) return Promise.resolve(normaliseServerSettings(pushed));
    let s = settingsCache.get(uri);
    if (!s) {
      s = conn.workspace.getConfiguration({ scopeUri: uri, section: 'pinlens' })
        .then(normaliseServerSettings, () => normaliseServerSettings({}));
      settingsCache.set(uri, s);
    }
    return s;
  }
  const settingsFor = (uri: string): Promise<Required<Settings>> => serverSettingsFor(uri).then(s => s.core);

  // the folders' indexes, the documents' caches and facts, the HEAD baselines
  const workspace = new Workspace({
    progress: (title, message) => (progress
      ? conn.window.createWorkDoneProgress().then(r => { r.begin(title, undefined, message); return r; }, () => undefined)
      : undefined),
    error: m => conn.console.error(m),
    reanalyse: where => {
      for (const d of documents.all()) {
        const f = isC(d) && !isPatchDocument(d.uri, d.languageId) ? fileOf(d.uri) : undefined;
        if (f && where(f)) scheduler.stale({ uri: d.uri, version: d.version, text: d.getText() });
      }
    },
    reanalyseAll: () => scheduler.invalidateAll(),
    // editor hook: the status bar says indexing while the scan runs, the log says what it found
    scan: (folder, end) => end ? activity.indexDone(folder, end.scan, end.error) : activity.indexStarted(folder),
  });

  /** A file that is not open, analysed in its tree (undefined: cancelled, or the server is shutting down). */
  async function analyseText(uri: string, text: string, settings?: Required<Settings>, signal?: AbortSignal): Promise<Analysed | undefined> {
    const s = settings ?? await settingsFor(uri);
    return workspace.analyseFile(fileOf(uri), text, s, { signal });
  }

  function publish(uri: string, r: Analysed, version?: number): void {
    const marks = r.marks;
    const findings = marks && r.onlyIntroduced ? r.analysis.findings.filter(f => marks.get(f) === 'introduced') : r.analysis.findings;
    const diagnostics = findings.map(f => toDiagnostic(f, uri, opts.docsBase, marks?.get(f)));
    if (r.note) diagnostics.unshift(noteDiagnostic(r.note.message, r.note.code, opts.docsBase));
    void conn.sendDiagnostics({ uri, version, diagnostics });
  }

  // an overtaken analysis runs to its end on its thread (what it finished fills the document's
  // function cache) and its result is dropped; a closed document's ends its thread (pool.ts)
  const scheduler = new Scheduler<DocAnalysed>(
    async (snap: Snapshot, isCurrent, signal) => {
      const ss = await serverSettingsFor(snap.uri);
      if (!isCurrent()) return undefined;
      const r = await workspace.analyseDocument(snap.uri, snap.text, ss.core, {
        alive: isCurrent, signal, hard: true, started: () => conn.tracer.log(`pinlens: analysing ${snap.uri} v${snap.version}`),
      });
      if (!r || !isCurrent()) return undefined;
      return r.marks ? { ...r, onlyIntroduced: ss.onlyIntroduced } : r;
    },
    (uri, r) => {
      conn.tracer.log(`pinlens: analysed ${uri} v${r.version} in ${r.value.ms.toFixed(1)} ms`);
      activity.analysed(uri, r.version, r.value, r.value.facts.external?.size, r.value.stats);
      publish(uri, r.value, r.version);
    },
    opts.policy,
    err => conn.console.error(`pinlens: analysis failed: ${err instanceof Error ? err.stack : String(err)}`),
  );

  // patch documents: their own scheduler, the same debounce and per-version cache
  const patchScheduler = new Scheduler<PatchAnalysed>(
    async (snap: Snapshot, isCurrent, signal) => {
      const s = await settingsFor(snap.uri);
      if (!isCurrent()) return undefined;
      const r = await workspace.analysePatch(snap.uri, snap.text, s, folders, {
        alive: isCurrent, signal, hard: true, started: () => conn.tracer.log(`pinlens: analysing patch ${snap.uri} v${snap.version}`),
      });
      return r && isCurrent() ? r : undefined;
    },
    (uri, r) => {
      conn.tracer.log(`pinlens: analysed patch ${uri} v${r.version} in ${r.value.ms.toFixed(1)} ms${r.value.root ? ` against ${r.value.root}` : ''}`);
      void conn.sendDiagnostics({ uri, version: r.version, diagnostics: r.value.view.diagnostics.map(d => toPatchDiagnostic(d, uri, opts.docsBase)) });
    },
    opts.policy,
    err => conn.console.error(`pinlens: patch analysis failed: ${err instanceof Error ? err.stack : String(err)}`),
  );

  const isPatchDoc = (uri: string) => { const d = documents.get(uri); return !!d && isPatchDocument(d.uri, d.languageId); };

  /** The analysis of an open document (current version), or of a file on disk. */
  async function analysisOf(uri: string, signal?: AbortSignal): Promise<Analysed | undefined> {
    if (documents.get(uri)) return (await scheduler.current(uri))?.value;
    if (!uri.startsWith('file:')) return undefined;
    const text = await readSource(fileURLToPath(uri));
    return text === undefined ? undefined : analyseText(uri, text, undefined, signal);
  }

  conn.onInitialize((params): InitializeResult => {
    const caps = params.capabilities;
    pullConfig = !!caps.workspace?.configuration;
    dynamicConfig = !!caps.workspace?.didChangeConfiguration?.dynamicRegistration;
    progress = !!caps.window?.workDoneProgress;
    watchFiles = !!caps.workspace?.didChangeWatchedFiles?.dynamicRegistration;
    const init = params.initializationOptions as { settings?: unknown } | null | undefined;
    if (init?.settings) pushed = init.settings;
    folders = [...(params.workspaceFolders ?? []).map(f => f.uri), ...(params.rootUri ? [params.rootUri] : [])];
    workspace.setFolders(folders);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      },
      serverInfo: { name: 'pinlens', version: opts.version },
    };
  });

  conn.onInitialized(() => {
    if (pullConfig && dynamicConfig) void conn.client.register(DidChangeConfigurationNotification.type, { section: 'pinlens' });
    // C files changed outside the editor: the workspace index must know
    if (watchFiles) void conn.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*.{c,h}' }] });
  });

  conn.onDidChangeConfiguration(change => {
    settingsCache.clear();
    const s = (change?.settings as { pinlens?: unknown } | null | undefined)?.pinlens;
    if (s !== undefined) pushed = s;
    scheduler.invalidateAll();
    patchScheduler.invalidateAll();
  });

  documents.onDidChangeContent(({ document: d }) => {
    if (isPatchDocument(d.uri, d.languageId)) patchScheduler.changed({ uri: d.uri, version: d.version, text: d.getText() });
    else if (isC(d)) scheduler.changed({ uri: d.uri, version: d.version, text: d.getText() });
  });

  documents.onDidClose(({ document: d }) => {
    scheduler.forget(d.uri);
    workspace.closed(d.uri);
    if (isPatchDocument(d.uri, d.languageId)) { patchScheduler.forget(d.uri); void conn.sendDiagnostics({ uri: d.uri, diagnostics: [] }); return; }
    if (!fromFolder.has(d.uri)) { void conn.sendDiagnostics({ uri: d.uri, diagnostics: [] }); return; }
    void analysisOf(d.uri).then(r => r ? publish(d.uri, r) : conn.sendDiagnostics({ uri: d.uri, diagnostics: [] }));
  });

  conn.onHover(async (params, token) => {
    const { uri, pos } = docPosition(params);
    if (isPatchDoc(uri)) {
      const p = (await unlessCancelled(patchScheduler.current(uri), token))?.value;
      const h = p && patchHover(p.view, p.text, pos);
      return h ? toHover(h) : null;
    }
    const r = await unlessCancelled(analysisOf(uri, signalOf(token)), token);
    const h = r && hoverAt(r.analysis, r.text, pos);
    return h ? toHover(h) : null;
  });

  conn.onCodeLens(async (params, token) => {
    const uri = docUri(params);
    if (isPatchDoc(uri)) {
      const p = (await unlessCancelled(patchScheduler.current(uri), token))?.value;
      return p ? p.view.lenses.map(toCodeLens) : [];
    }
    const r = await unlessCancelled(analysisOf(uri, signalOf(token)), token);
    const others = r ? await unlessCancelled(openNeighbours(uri), token) : [];
    return r ? codeLenses(uri, r.analysis, others).map(toCodeLens) : [];
  });

  /** Editor hook for the lenses: the analyses of the other open C files of the document's folder (their teardowns may release its pages badly). */
  async function openNeighbours(uri: string): Promise<Neighbour[]> {
    const file = fileOf(uri);
    if (!file) return [];
    const out: Neighbour[] = [];
    for (const d of documents.all()) {
      const other = fileOf(d.uri);
      if (d.uri === uri || !other || !isC(d) || isPatchDocument(d.uri, d.languageId) || path.dirname(other) !== path.dirname(file)) continue;
      // the result at hand, even of an older version: a neighbour's analysis under way must not hold up this document
      const a = (scheduler.latest(d.uri) ?? await scheduler.current(d.uri))?.value.analysis;
      if (a) out.push({ file: path.basename(other), analysis: a });
    }
    return out;
  }

  conn.onCodeAction(params => {
    const uri = docUri(params);
    const diags = (params as { context?: { diagnostics?: unknown } }).context?.diagnostics;
    if (!Array.isArray(diags) || !diags.every(d => d && isRange(d.range))) throw invalid('expected context.diagnostics: Diagnostic[]');
    return toCodeActions(uri, diags);
  });

  conn.onRequest(SimulationRequest, async (params: SimulationParams, token): Promise<SimulationResult | null> => {
    const x = params as Partial<SimulationParams> | null;
    const pos = { line: x?.line, character: x?.character };
    if (typeof x?.uri !== 'string' || !isPosition(pos)) throw invalid('expected { uri, line, character }');
    if (isPatchDoc(x.uri)) return null;
    const r = await unlessCancelled(analysisOf(x.uri, signalOf(token)), token);
    return (r && simulationAt(r.analysis, pos)) ?? null;
  });

  conn.onRequest(CheckFolderRequest, async (params: CheckFolderParams, token): Promise<CheckFolderResult> => {
    const x = params as Partial<CheckFolderParams> | null;
    let dir: string;
    try { dir = fileURLToPath(String(x?.uri)); } catch { throw invalid('expected { uri } with a file: URI of a folder'); }
    if (!(await fs.stat(dir).catch(() => undefined))?.isDirectory()) throw invalid(`not a folder: ${dir}`);
    const given = typeof x?.workDoneToken === 'string' || typeof x?.workDoneToken === 'number' ? x.workDoneToken : undefined;
    return checkFolder(dir, x!.uri!, token, given);
  });

  /**
   * Every C file of a folder, each analysed as opening it would (an open one
   * is its document's analysis; the others in their tree, once its index is
   * ready), with work-done progress: the files done of the total, the folder
   * at hand. `workDoneToken`: the client's progress; else the server's own.
   */
  async function checkFolder(dir: string, uri: string, token: CancellationToken, workDoneToken?: string | number): Promise<CheckFolderResult> {
    const settings = await settingsFor(uri);
    const result: CheckFolderResult = { files: 0, callSites: 0, findings: 0, skipped: [] };
    const report = workDoneToken !== undefined ? conn.window.attachWorkDoneProgress(workDoneToken)
      : progress ? await conn.window.createWorkDoneProgress() : undefined;
    report?.begin('pinlens: checking folder', 0, `${path.basename(dir)}: listing files`, true);
    // the server's own progress can be cancelled in the editor's notification; the client's cancels the request
    const own = report && 'token' in report ? (report as { token: CancellationToken }).token : undefined;
    const cancelled = () => token.isCancellationRequested || !!own?.isCancellationRequested;
    // a file's analysis under way is dropped when either is cancelled
    const stop = new AbortController();
    const d1 = token.onCancellationRequested(() => stop.abort());
    const d2 = own?.onCancellationRequested(() => stop.abort());
    try {
      const files: string[] = [];
      for await (const file of walkC(dir, settings.maxFileSize, { skipped: result.skipped, cancelled })) files.push(file);
      let shown = -1, shownAt = 0;
      for (const file of files) {
        if (cancelled()) break;
        const fileUri = pathToFileURL(file).href;
        result.files++;
        // at most a few reports a second, and one per percent
        const pct = Math.floor((100 * (result.files - 1)) / files.length);
        if (pct !== shown || performance.now() - shownAt > 250) {
          shown = pct; shownAt = performance.now();
          report?.report(pct, `${result.files - 1}/${files.length} files — ${path.relative(dir, path.dirname(file)) || path.basename(dir)}`);
        }
        let r: Analysed | undefined;
        if (documents.get(fileUri)) r = await unlessCancelled(analysisOf(fileUri), token);
        else {
          const text = await readSource(file);
          if (text === undefined) { result.skipped.push(file); continue; }
          if (!mentionsPages(text) && !fromFolder.has(fileUri)) continue;
          r = await unlessCancelled(analyseText(fileUri, text, settings, stop.signal), token);
          if (!r) continue; // cancelled (the progress's own cancel), or shutting down
          fromFolder.add(fileUri);
          publish(fileUri, r);
        }
        if (r) { result.callSites += r.analysis.callSites.length; result.findings += r.analysis.findings.length; }
        await new Promise(resolve => setImmediate(resolve)); // let other requests in between files
      }
      checkCancelled(token);
      return result;
    } finally {
      d1.dispose();
      d2?.dispose();
      report?.done();
    }
  }

  documents.onDidSave(({ document: d }) => {
    if (isPatchDocument(d.uri, d.languageId)) return;
    // a saved helper may have changed what it does (or what it defines): look the
    // summaries up again, for every open document (its callers and teardowns among them)
    workspace.filesChanged([d.uri]);
  });

  conn.onDidChangeWatchedFiles(({ changes }) => workspace.filesChanged(changes.map(ch => ch.uri)));

  // shutdown and exit never wait for an analysis: the threads end now
  conn.onShutdown(() => workspace.shutdown());

  documents.listen(conn);
  conn.listen();
}
