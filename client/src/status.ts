// The status bar item: call sites and findings of the active file. Findings are
// the file's diagnostics whose source is pinlens; call sites are the code lenses
// that open a simulation (the server puts exactly one on each call site), as the
// editor's own code lens requests return them (the client's middleware passes
// them here), so the item adds no request of its own.
import * as vscode from 'vscode';
import { ShowSimulationCommand } from '../../server/src/protocol';

export const SOURCE = 'pinlens';

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('pinlens.status', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ready = false;
  /** call sites per document uri, from the last code lens answer. */
  private readonly callSites = new Map<string, number>();

  constructor(private readonly selector: vscode.DocumentSelector) {
    this.item.name = 'pinlens';
    this.item.command = 'workbench.actions.view.problems';
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule(0)),
      vscode.languages.onDidChangeDiagnostics(e => {
        if (e.uris.some(u => this.isActive(u))) this.schedule(50);
      }),
      vscode.workspace.onDidCloseTextDocument(d => { this.callSites.delete(d.uri.toString()); }),
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

  /** The server is up: from now on the counts mean something. */
  setReady(ready: boolean): void {
    this.ready = ready;
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
