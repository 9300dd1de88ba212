// The status bar item: call sites and findings of the active file. Findings are
// the file's diagnostics whose source is pinlens; call sites are the code lenses
// that open a simulation (the server puts exactly one on each call site), as the
// editor's own code lens requests return them (the client's middleware passes
// them here), so the item adds no request of its own.
//
// It never shows a clean verdict it does not have: while the index of the
// file's folder is being built (helpers of other files still to come) it says
// "indexing", with the findings so far; otherwise, until the server has
// published diagnostics for the file, it says "analysing".
import * as vscode from 'vscode';
import { ShowSimulationCommand } from '../../server/src/protocol';
import { plural } from '../../server/src/words';

export const SOURCE = 'pinlens';

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('pinlens.status', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ready = false;
  /** call sites per document uri, from the last code lens answer. */
  private readonly callSites = new Map<string, number>();
  /** documents the server has published diagnostics for */
  private readonly published = new Set<string>();
  /** folders (paths) whose index is being built */
  private readonly indexing = new Set<string>();

  constructor(private readonly selector: vscode.DocumentSelector) {
    this.item.name = 'pinlens';
    this.item.command = 'workbench.actions.view.problems';
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule(0)),
      vscode.languages.onDidChangeDiagnostics(e => {
        if (e.uris.some(u => this.isActive(u))) this.schedule(50);
      }),
      vscode.workspace.onDidCloseTextDocument(d => { this.callSites.delete(d.uri.toString()); this.published.delete(d.uri.toString()); }),
    );
  }

  private isActive(uri: vscode.Uri): boolean {
    return vscode.window.activeTextEditor?.document.uri.toString() === uri.toString();
  }

  /** The code lenses the server returned for a document. */
  noteLenses(uri: vscode.Uri, lenses: readonly vscode.CodeLens[] | null | undefined): void {
    const seen = new Set<string>();
    for (const l of lenses ?? []) {
      if (l.command?.command === ShowSimulationCommand) seen.add(`${l.range.start.line}:${l.range.start.character}`);
    }
    this.callSites.set(uri.toString(), seen.size);
    if (this.isActive(uri)) this.schedule(0);
  }

  /** The server published diagnostics for a document: its counts mean something. */
  noteDiagnostics(uri: vscode.Uri): void {
    this.published.add(uri.toString());
    if (this.isActive(uri)) this.schedule(0);
  }

  /** A folder's index started or finished building (the server's pinlens/indexing). */
  setIndexing(folder: string, on: boolean): void {
    if (on) this.indexing.add(folder);
    else {
      this.indexing.delete(folder);
      // the folder's files are analysed again with other files' helpers: until then, no verdict
      const inside = folder.endsWith('/') ? folder : folder + '/';
      for (const u of [...this.published]) {
        const uri = vscode.Uri.parse(u);
        if (uri.scheme === 'file' && uri.fsPath.startsWith(inside)) this.published.delete(u);
      }
    }
    this.schedule(0);
  }

  private indexingFor(doc: vscode.TextDocument): string | undefined {
    if (doc.uri.scheme !== 'file') return undefined;
    const f = doc.uri.fsPath;
    return [...this.indexing].find(d => f === d || f.startsWith(d.endsWith('/') ? d : d + '/'));
  }

  /** The server is up: from now on the counts mean something. */
  setReady(ready: boolean): void {
    this.ready = ready;
    if (!ready) { this.published.clear(); this.indexing.clear(); }
    this.schedule(0);
  }

  schedule(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = undefined; this.update(); }, delay);
  }

  private update(): void {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || !vscode.languages.match(this.selector, doc)) { this.item.hide(); return; }
    if (!this.ready) {
      this.item.text = '$(sync~spin) pinlens';
      this.item.tooltip = 'pinlens: starting the language server';
      this.item.show();
      return;
    }
    const findings = vscode.languages.getDiagnostics(doc.uri).filter(d => d.source === SOURCE);
    const published = this.published.has(doc.uri.toString());
    const folder = this.indexingFor(doc);
    if (folder) {
      // (before the first analysis too: the index is what the verdict waits for)
      const so = published && findings.length ? findings.length : 0;
      this.item.text = `$(sync~spin) pinlens: indexing${so ? ` · ${plural(so, 'finding')} so far` : ''}`;
      this.item.tooltip = `pinlens: indexing ${folder}: helpers defined in other files are not known yet, so this file is not judged yet`
        + (so ? ` (${plural(so, 'finding')} found without them)` : '') + '. Click for the Problems view.';
      this.item.show();
      return;
    }
    if (!published) {
      this.item.text = '$(sync~spin) pinlens: analysing';
      this.item.tooltip = 'pinlens: waiting for the first analysis of this file';
      this.item.show();
      return;
    }
    const callSites = this.callSites.get(doc.uri.toString());
    const errors = findings.filter(d => d.severity === vscode.DiagnosticSeverity.Error).length;
    const icon = errors ? '$(error)' : findings.length ? '$(warning)' : '$(pass)';
    const counts = [callSites === undefined ? '' : plural(callSites, 'call site'), plural(findings.length, 'finding')].filter(Boolean);
    this.item.text = `${icon} pinlens: ${counts.join(', ')}`;
    this.item.tooltip = `pinlens: ${counts.join(' and ')} in ${vscode.workspace.asRelativePath(doc.uri)}`
      + (callSites === undefined ? ' (call sites are counted from the code lenses: editor.codeLens is off or they are not in yet)' : '')
      + '. Click for the Problems view.';
    this.item.show();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
    this.item.dispose();
  }
}
