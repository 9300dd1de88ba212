// Binds LSP requests to the feature functions. Holds the open documents, the
// scheduler (debounce + cache per version) and the settings per resource;
// nothing else survives between requests (code actions read diagnostic data).
import { AnalysisCache, type ExternalSummaries } from '../core/analyze';
import { withKernelEra } from '../index/era';
import { scanInThreads } from '../index/scan-thread';
import { TreeIndex } from '../index/tree';
import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import { promises as fs } from 'fs';
import {
  CancellationToken, CodeActionKind, Connection, DidChangeConfigurationNotification, DidChangeWatchedFilesNotification, ErrorCodes,
  InitializeResult, LSPErrorCodes, ResponseError, TextDocuments, TextDocumentSyncKind,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Parser } from 'web-tree-sitter';
import { loadParser } from '../host/treesitter';
import type { FieldFill, Position, Settings } from '../core/types';
import {
  CheckFolderParams, CheckFolderRequest, CheckFolderResult, SimulationParams, SimulationRequest, SimulationResult,
} from '../protocol';
import { Analysed, analyse, mentionsPages } from './analysis';
import { isRange, noteDiagnostic, toCodeActions, toCodeLens, toDiagnostic, toHover, toPatchDiagnostic } from './convert';
import { patchHover } from './features/patch';
import { PatchAnalysed, analysePatch, isPatchDocument } from './patch';
import { Neighbour, codeLenses } from './features/lenses';
import { hoverAt } from './features/hover';
import { simulationAt } from './features/simulation';
import { readSource, walkC } from './folder';
import { Policy, Scheduler, Snapshot } from './scheduler';
import { Baselines } from './baseline';
import { ServerSettings, normalizeServerSettings } from './settings';
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

function checkCancelled(token: CancellationToken): void {
  if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
}

/** The file path of a file: URI; '' for anything else. */
function fileOf(uri: string): string {
  if (!uri.startsWith('file:')) return '';
  try { return fileURLToPath(uri); } catch { return ''; }
}

export function isC(doc: TextDocument): boolean {
  return doc.languageId === 'c' || /\.[ch]$/i.test(doc.uri);
}

export function startServer(conn: Connection, opts: ServerOptions): void {
  const documents = new TextDocuments(TextDocument);
  // editor hooks (activity.ts): indexing state for the status bar, the Output channel's log
  const activity = new Activity(conn);
  const parser: Promise<Parser> = loadParser();
  const settingsCache = new Map<string, Promise<ServerSettings>>();
  /** uris whose diagnostics came from a folder check (kept when their editor closes). */
  const fromFolder = new Set<string>();
  let pullConfig = false, dynamicConfig = false, progress = false, watchFiles = false;
  /** rootUri and workspace folders (file: URIs): where a patch document's tree is looked for. */
  let folders: string[] = [];
  let pushed: unknown = {};

  function serverSettingsFor(uri: string): Promise<ServerSettings> {
    if (!pullConfig) return Promise.resolve(normalizeServerSettings(pushed));
    let s = settingsCache.get(uri);
    if (!s) {
      s = conn.workspace.getConfiguration({ scopeUri: uri, section: 'pinlens' })
        .then(normalizeServerSettings, () => normalizeServerSettings({}));
      settingsCache.set(uri, s);
    }
    return s;
  }
  const settingsFor = (uri: string): Promise<Required<Settings>> => serverSettingsFor(uri).then(s => s.core);

  /** per open document: function results reused across its versions */
  const functionCaches = new Map<string, AnalysisCache>();
  const cacheFor = (uri: string): AnalysisCache => {
    let c = functionCaches.get(uri);
    if (!c) { c = new AnalysisCache(); functionCaches.set(uri, c); }
    return c;
  };

  async function analyseText(uri: string, text: string, settings?: Required<Settings>): Promise<Analysed> {
    const s = settings ?? await settingsFor(uri);
    return analyse(await parser, text, s);
  }

  function publish(uri: string, r: Analysed, version?: number): void {
    const marks = r.marks;
    const findings = marks && r.onlyIntroduced ? r.analysis.findings.filter(f => marks.get(f) === 'introduced') : r.analysis.findings;
    const diagnostics = findings.map(f => toDiagnostic(f, uri, opts.docsBase, marks?.get(f)));
    if (r.note) diagnostics.unshift(noteDiagnostic(r.note.message, r.note.code, opts.docsBase));
    void conn.sendDiagnostics({ uri, version, diagnostics });
  }

  // Helpers defined in other files of the workspace folder: their summaries are
  // looked up when a document is opened or saved, not on every keystroke. A
  // folder's definition scan runs on a thread of its own; until it is done
  // documents are analysed without other files' helpers, then all again.
  const indexes = new Map<string, TreeIndex>();
  const scanning = new Set<string>();
  const rescanAfter = new Set<string>();
  const externals = new Map<string, ExternalSummaries | undefined>();
  const fillsOf = new Map<string, FieldFill[]>();
  function indexFor(file: string, p: Parser, s: Required<Settings>): TreeIndex | undefined {
    const folder = folders.map(f => { try { return fileURLToPath(f); } catch { return ''; } })
      .filter(f => f && (file === f || file.startsWith(f + path.sep))).sort((a, b) => b.length - a.length)[0];
    if (!folder) return undefined;
    const ix = indexes.get(folder);
    if (!ix && !scanning.has(folder)) startScan(folder, p, s);
    return ix;
  }
  /** (Re)scans a folder on a thread; the old index, if any, serves until the new one is ready. */
  function startScan(folder: string, p: Parser, s: Settings): void {
    scanning.add(folder);
    activity.indexStarted(folder);
    // the editor shows that the helpers of other files are still to come
    const report = progress ? conn.window.createWorkDoneProgress().then(r => { r.begin('pinlens: indexing', undefined, path.basename(folder)); return r; }, () => undefined) : undefined;
    const ready = (index: TreeIndex) => {
      indexes.set(folder, index);
      scanning.delete(folder);
      // the folder's open documents again, now with other files' helpers (the others are not affected)
      reanalyse(f => f.startsWith(folder + path.sep));
      void report?.then(r => r?.done());
      if (rescanAfter.delete(folder)) startScan(folder, p, s);
    };
    scanInThreads(path.resolve(folder), 1).then(scan => { activity.indexDone(folder, scan); ready(new TreeIndex(folder, p, s, { scan })); }, err => {
      activity.indexDone(folder, undefined, err instanceof Error ? err.message : String(err));
      // the index scans on the main thread instead, when it is first asked
      conn.console.error(`pinlens: scanning ${folder} on a thread failed (${err instanceof Error ? err.message : String(err)}); scanning here`);
      ready(new TreeIndex(folder, p, s));
    });
  }
  /** Files of the tree changed: the indexes read them again, every document's helper summaries and fills are looked up again. */
  function forgetSummaries(): void {
    for (const ix of indexes.values()) ix.invalidate();
    externals.clear();
    fillsOf.clear();
  }
  /** Files of the tree changed (saved, checked out, created): every open document is analysed again with fresh summaries. */
  function summariesChanged(): void {
    forgetSummaries();
    scheduler.invalidateAll();
  }
  /** The open C documents whose file `where` accepts, analysed again (their helper summaries looked up again). */
  function reanalyse(where: (file: string) => boolean): void {
    for (const d of documents.all()) {
      const f = isC(d) && !isPatchDocument(d.uri, d.languageId) ? fileOf(d.uri) : undefined;
      if (!f || !where(f)) continue;
      externals.delete(d.uri);
      fillsOf.delete(d.uri);
      scheduler.changed({ uri: d.uri, version: d.version, text: d.getText() });
    }
  }
  /**
   * C files changed (saved, or outside the editor: a git checkout, a build):
   * the index reads them again, and a folder where a .c file changed, came or
   * went is scanned again for which file defines what (on a thread; only the
   * files whose stamps changed are read).
   */
  function filesChanged(uris: string[]): void {
    const c = uris.filter(u => /\.[ch]$/.test(u));
    if (!c.length) return;
    for (const [folder, ix] of indexes) {
      const inside = (u: string) => { try { return fileURLToPath(u).startsWith(folder + path.sep); } catch { return false; } };
      if (!c.some(u => u.endsWith('.c') && inside(u))) continue;
      // a change during a scan may come after the scan read that file: scan once more when it ends
      if (scanning.has(folder)) rescanAfter.add(folder); else startScan(folder, ix.parser, ix.settings);
    }
    summariesChanged();
  }
  /** The built index of the folder holding a document, if any (for the log). */
  function indexOfUri(uri: string): TreeIndex | undefined {
    const f = fileOf(uri);
    const folder = [...indexes.keys()].filter(d => f.startsWith(d + path.sep)).sort((a, b) => b.length - a.length)[0];
    return folder ? indexes.get(folder) : undefined;
  }
  function externalFor(uri: string, text: string, p: Parser, s: Required<Settings>): ExternalSummaries | undefined {
    if (externals.has(uri)) return externals.get(uri);
    let file = '';
    try { file = fileURLToPath(uri); } catch { /* not a file: no index */ }
    let ext: ExternalSummaries | undefined;
    try { ext = file ? indexFor(file, p, s)?.summariesFor(text, file) : undefined; } catch { ext = undefined; }
    externals.set(uri, ext);
    return ext;
  }

  // In a git work tree, findings are marked against the file at HEAD; when HEAD
  // moves, the open documents of that folder are analysed again (and the
  // helpers' summaries looked up again: a checkout changes files on disk).
  const baselines = new Baselines(dir => {
    forgetSummaries();
    reanalyse(f => path.dirname(f) === dir);
  });

  const scheduler = new Scheduler<Analysed>(
    async (snap: Snapshot, isCurrent) => {
      const file = fileOf(snap.uri);
      if (file) void baselines.prepare(file); // git runs while the text is analysed
      const ss = await serverSettingsFor(snap.uri);
      const s = file ? withKernelEra(ss.core, file) : ss.core;
      const p = await parser;
      if (!isCurrent()) return undefined;
      const ext = externalFor(snap.uri, snap.text, p, s);
      let r = analyse(p, snap.text, s, cacheFor(snap.uri), ext, fillsOf.get(snap.uri));
      // teardowns of fields this file never fills: the folder's other files say how (once per open/save)
      if (file && !fillsOf.has(snap.uri) && r.analysis.openFieldReleases?.length) {
        const fills = indexFor(file, p, s)?.fieldFillsFor(file, r.analysis.openFieldReleases) ?? [];
        fillsOf.set(snap.uri, fills);
        if (fills.length) r = analyse(p, snap.text, s, cacheFor(snap.uri), ext, fills);
      }
      if (!file) return r;
      const marks = await baselines.marks(file, r, JSON.stringify(s), ext, (text, cache) => analyse(p, text, s, cache, ext));
      if (!isCurrent()) return undefined;
      return marks ? { ...r, marks, onlyIntroduced: ss.onlyIntroduced } : r;
    },
    (uri, r) => {
      conn.tracer.log(`pinlens: analysed ${uri} v${r.version} in ${r.value.ms.toFixed(1)} ms`);
      activity.analysed(uri, r.version, r.value, externals.get(uri)?.size, indexOfUri(uri)?.stats);
      publish(uri, r.value, r.version);
    },
    opts.policy,
    err => conn.console.error(`pinlens: analysis failed: ${err instanceof Error ? err.stack : String(err)}`),
  );

  // patch documents: their own scheduler, the same debounce and per-version cache
  const patchScheduler = new Scheduler<PatchAnalysed>(
    async (snap: Snapshot, isCurrent) => {
      const s = await settingsFor(snap.uri);
      const p = await parser;
      return isCurrent() ? analysePatch(p, snap.uri, snap.text, s, folders) : undefined;
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
  async function analysisOf(uri: string): Promise<Analysed | undefined> {
    if (documents.get(uri)) return (await scheduler.current(uri))?.value;
    if (!uri.startsWith('file:')) return undefined;
    const text = await readSource(fileURLToPath(uri));
    return text === undefined ? undefined : analyseText(uri, text);
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
    functionCaches.get(d.uri)?.dispose();
    functionCaches.delete(d.uri);
    externals.delete(d.uri);
    fillsOf.delete(d.uri);
    if (fileOf(d.uri)) baselines.forget(fileOf(d.uri));
    if (isPatchDocument(d.uri, d.languageId)) { patchScheduler.forget(d.uri); void conn.sendDiagnostics({ uri: d.uri, diagnostics: [] }); return; }
    if (!fromFolder.has(d.uri)) { void conn.sendDiagnostics({ uri: d.uri, diagnostics: [] }); return; }
    void analysisOf(d.uri).then(r => r ? publish(d.uri, r) : conn.sendDiagnostics({ uri: d.uri, diagnostics: [] }));
  });

  conn.onHover(async (params, token) => {
    const { uri, pos } = docPosition(params);
    if (isPatchDoc(uri)) {
      const p = (await patchScheduler.current(uri))?.value;
      checkCancelled(token);
      const h = p && patchHover(p.view, p.text, pos);
      return h ? toHover(h) : null;
    }
    const r = await analysisOf(uri);
    checkCancelled(token);
    const h = r && hoverAt(r.analysis, r.text, pos);
    return h ? toHover(h) : null;
  });

  conn.onCodeLens(async (params, token) => {
    const uri = docUri(params);
    if (isPatchDoc(uri)) {
      const p = (await patchScheduler.current(uri))?.value;
      checkCancelled(token);
      return p ? p.view.lenses.map(toCodeLens) : [];
    }
    const r = await analysisOf(uri);
    const others = r ? await openNeighbours(uri) : [];
    checkCancelled(token);
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
      const a = (await scheduler.current(d.uri))?.value.analysis;
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
    const r = await analysisOf(x.uri);
    checkCancelled(token);
    return (r && simulationAt(r.analysis, pos)) ?? null;
  });

  conn.onRequest(CheckFolderRequest, async (params: CheckFolderParams, token): Promise<CheckFolderResult> => {
    const uri = (params as Partial<CheckFolderParams> | null)?.uri;
    let dir: string;
    try { dir = fileURLToPath(String(uri)); } catch { throw invalid('expected { uri } with a file: URI of a folder'); }
    if (!(await fs.stat(dir).catch(() => undefined))?.isDirectory()) throw invalid(`not a folder: ${dir}`);
    return checkFolder(dir, uri!, token);
  });

  async function checkFolder(dir: string, uri: string, token: CancellationToken): Promise<CheckFolderResult> {
    const settings = await settingsFor(uri);
    const result: CheckFolderResult = { files: 0, callSites: 0, findings: 0, skipped: [] };
    const report = progress ? await conn.window.createWorkDoneProgress() : undefined;
    report?.begin('pinlens: checking folder', undefined, path.basename(dir), true);
    const cancelled = () => token.isCancellationRequested || !!report?.token.isCancellationRequested;
    try {
      for await (const file of walkC(dir, settings.maxFileSize, { skipped: result.skipped, cancelled })) {
        const fileUri = pathToFileURL(file).href;
        result.files++;
        report?.report(path.relative(dir, file));
        let r: Analysed | undefined;
        if (documents.get(fileUri)) r = await analysisOf(fileUri);
        else {
          const text = await readSource(file);
          if (text === undefined) { result.skipped.push(file); continue; }
          if (!mentionsPages(text) && !fromFolder.has(fileUri)) continue;
          r = await analyseText(fileUri, text, settings);
          fromFolder.add(fileUri);
          publish(fileUri, r);
        }
        if (r) { result.callSites += r.analysis.callSites.length; result.findings += r.analysis.findings.length; }
        await new Promise(resolve => setImmediate(resolve)); // let other requests in between files
      }
      checkCancelled(token);
      return result;
    } finally {
      report?.done();
    }
  }

  documents.onDidSave(({ document: d }) => {
    if (isPatchDocument(d.uri, d.languageId)) return;
    // a saved helper may have changed what it does (or what it defines): look the
    // summaries up again, for every open document (its callers and teardowns among them)
    filesChanged([d.uri]);
  });

  conn.onDidChangeWatchedFiles(({ changes }) => filesChanged(changes.map(ch => ch.uri)));

  documents.listen(conn);
  conn.listen();
}
