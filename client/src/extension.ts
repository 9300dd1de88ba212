// The VS Code half of pinlens: starts the bundled language server (out/server.js)
// over node IPC and implements the commands its code lenses carry. Everything the
// client knows about the server comes from LSP and server/src/protocol.ts.
import * as vscode from 'vscode';
import { CodeLensRequest, LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import {
  CheckFolderParams, CheckFolderRequest, CheckFolderResult, IndexingNotification, IndexingParams, RevealReleasesCommand, ShowSimulationCommand,
  SimulationParams, SimulationRequest, SimulationResult,
} from '../../server/src/protocol';
import type { Range as CoreRange } from '../../server/src/core/types';
import { SimulationView } from './simulationView';
import { StatusItem } from './status';
import { plural } from '../../server/src/words';

/** C sources and patches (git format-patch, mbox, mail) on disk or unsaved. */
const SELECTOR: { scheme: string; language: string }[] = ['file', 'untitled'].flatMap(scheme => [
  { scheme, language: 'c' },
  { scheme, language: 'diff' },
  { scheme, language: 'pinlens-patch' },
]);

let client: LanguageClient | undefined;

function isPosition<T>(x: T): x is T & { line: number; character: number } {
  const p = x as { line?: unknown; character?: unknown } | null;
  return !!p && Number.isInteger(p.line) && Number.isInteger(p.character);
}

function isRange(x: unknown): x is CoreRange {
  const r = x as { start?: unknown; end?: unknown } | null;
  return !!r && isPosition(r.start) && isPosition(r.end);
}

function toRange(r: CoreRange): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

/** Lens arguments ({uri, line, character}), or else the cursor of the active editor. */
function simulationParams(arg: unknown): SimulationParams | undefined {
  const a = arg as Partial<SimulationParams> | null;
  if (a && typeof a.uri === 'string' && isPosition(a)) return { uri: a.uri, line: a.line, character: a.character };
  const editor = vscode.window.activeTextEditor;
  if (!editor) return undefined;
  const at = editor.selection.active;
  return { uri: editor.document.uri.toString(), line: at.line, character: at.character };
}

function columnOf(uri: string): vscode.ViewColumn | undefined {
  return vscode.window.visibleTextEditors.find(e => e.document.uri.toString() === uri)?.viewColumn;
}

async function showSimulation(view: SimulationView, log: vscode.LogOutputChannel, arg: unknown): Promise<void> {
  const params = simulationParams(arg);
  if (!params) { void vscode.window.showInformationMessage('pinlens: open a C file and put the cursor on a call site or finding.'); return; }
  if (!client) return;
  let sim: SimulationResult | null;
  try {
    sim = await client.sendRequest<SimulationResult | null>(SimulationRequest, params);
  } catch (e) {
    log.error(`simulation request failed: ${e instanceof Error ? e.message : String(e)}`);
    void vscode.window.showErrorMessage('pinlens: the simulation request failed; see the pinlens output.');
    return;
  }
  if (!sim) {
    void vscode.window.showInformationMessage(`pinlens: no call site or finding at line ${params.line + 1}.`);
    return;
  }
  view.show(sim, vscode.Uri.parse(params.uri), columnOf(params.uri));
}

async function revealReleases(uriArg: unknown, rangesArg: unknown): Promise<void> {
  if (typeof uriArg !== 'string' || !Array.isArray(rangesArg)) return;
  const uri = vscode.Uri.parse(uriArg);
  const ranges = rangesArg.filter(isRange).map(toRange);
  if (!ranges.length) return;
  const editor = await vscode.window.showTextDocument(uri, { viewColumn: columnOf(uriArg), preserveFocus: false });
  if (ranges.length === 1) {
    editor.selection = new vscode.Selection(ranges[0].end, ranges[0].start); // the cursor at the call's start
    editor.revealRange(ranges[0], vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return;
  }
  const locations = ranges.map(r => new vscode.Location(uri, r));
  await vscode.commands.executeCommand('editor.action.peekLocations', uri, ranges[0].start, locations, 'peek');
}

async function checkWorkspace(log: vscode.LogOutputChannel): Promise<void> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (!folders.length) { void vscode.window.showInformationMessage('pinlens: open a folder to check it.'); return; }
  if (!client) return;
  const c = client;
  const total = { files: 0, callSites: 0, findings: 0, skipped: 0 };
  await vscode.window.withProgress({
    location: vscode.ProgressLocation.Notification, title: 'pinlens', cancellable: true,
  }, async (progress, token) => {
    for (const folder of folders) {
      if (token.isCancellationRequested) break;
      progress.report({ message: `checking ${folder.name}…` });
      const params: CheckFolderParams = { uri: folder.uri.toString() };
      try {
        const r = await c.sendRequest<CheckFolderResult>(CheckFolderRequest, params, token);
        total.files += r.files; total.callSites += r.callSites; total.findings += r.findings; total.skipped += r.skipped.length;
        for (const s of r.skipped) log.info(`skipped ${s}`);
      } catch (e) {
        if (token.isCancellationRequested) break;
        log.error(`checking ${folder.name} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  });
  const summary = `pinlens: ${plural(total.files, 'file')}, ${plural(total.callSites, 'call site')}, ${plural(total.findings, 'finding')}`
    + (total.skipped ? `, ${total.skipped} skipped (see the pinlens output)` : '');
  log.info(summary);
  if (total.findings) await vscode.commands.executeCommand('workbench.actions.view.problems');
  void vscode.window.showInformationMessage(summary);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const started = Date.now();
  const log = vscode.window.createOutputChannel('pinlens', { log: true });
  const view = new SimulationView(vscode.Uri.joinPath(context.extensionUri, 'media'));
  const status = new StatusItem(SELECTOR);
  context.subscriptions.push(log, view, status);

  const serverModule = vscode.Uri.joinPath(context.extensionUri, 'out', 'server.js').fsPath;
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: SELECTOR,
    outputChannel: log,
    synchronize: { configurationSection: 'pinlens' },
    diagnosticCollectionName: 'pinlens',
    middleware: {
      // A new analysis can change the lenses without an edit (a settings change),
      // and VS Code can drop a lens fetch in flight without making another (seen
      // when settings.json is rewritten during start-up): ask it to fetch again.
      handleDiagnostics: (uri, diagnostics, next) => {
        next(uri, diagnostics);
        status.noteDiagnostics(uri);
        refreshCodeLenses(uri);
      },
      provideCodeLenses: async (document, token, next) => {
        const lenses = await next(document, token);
        if (!token.isCancellationRequested) status.noteLenses(document.uri, lenses);
        return lenses;
      },
    },
  };
  client = new LanguageClient('pinlens', 'pinlens', serverOptions, clientOptions);
  function refreshCodeLenses(uri: vscode.Uri): void {
    const doc = vscode.workspace.textDocuments.find(d => d.uri.toString() === uri.toString());
    if (doc) client?.getFeature(CodeLensRequest.method)?.getProvider(doc)?.onDidChangeCodeLensEmitter.fire();
  }

  context.subscriptions.push(
    vscode.commands.registerCommand(ShowSimulationCommand, (arg: unknown) => showSimulation(view, log, arg)),
    vscode.commands.registerCommand(RevealReleasesCommand, (uri: unknown, ranges: unknown) => revealReleases(uri, ranges)),
    vscode.commands.registerCommand('pinlens.checkWorkspace', () => checkWorkspace(log)),
    vscode.commands.registerCommand('pinlens.showOutput', () => log.show(true)),
    vscode.commands.registerCommand('pinlens.restartServer', async () => {
      status.setReady(false);
      await client?.restart();
      status.setReady(true);
    }),
  );

  // the status bar says "indexing" while a folder's index is built
  context.subscriptions.push(client.onNotification(IndexingNotification, (p: IndexingParams) => {
    if (typeof p?.folder === 'string' && typeof p.indexing === 'boolean') status.setIndexing(p.folder, p.indexing);
  }));

  log.info(`activating pinlens ${context.extension.packageJSON.version ?? ''} (VS Code ${vscode.version})`);
  try {
    await client.start();
  } catch (e) {
    log.error(`the language server did not start: ${e instanceof Error ? e.message : String(e)}`);
    void vscode.window.showErrorMessage('pinlens: the language server did not start; see the pinlens output.');
    return;
  }
  status.setReady(true);
  log.info(`pinlens ready: language server started in ${Date.now() - started} ms`);
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await c.stop();
}
