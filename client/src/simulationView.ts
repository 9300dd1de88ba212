// One webview panel for the simulation of a call site or finding; reused for the
// next request. Clicking a step reveals its line in the editor it came from.
import * as crypto from 'crypto';
import * as vscode from 'vscode';
import type { SimulationResult } from '../../server/src/protocol';
import { renderSimulation } from './simulationHtml';

interface RevealMessage { type: 'reveal'; line: number; character: number }

function isReveal(m: unknown): m is RevealMessage {
  const x = m as Partial<RevealMessage> | null;
  return !!x && x.type === 'reveal' && Number.isInteger(x.line) && x.line! >= 0
    && Number.isInteger(x.character) && x.character! >= 0;
}

export class SimulationView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private source: vscode.Uri | undefined;
  private sourceColumn: vscode.ViewColumn | undefined;

  constructor(private readonly media: vscode.Uri) {}

  show(sim: SimulationResult, source: vscode.Uri, sourceColumn: vscode.ViewColumn | undefined): void {
    this.source = source;
    this.sourceColumn = sourceColumn;
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('pinlens.simulation', 'pinlens simulation', {
        viewColumn: vscode.ViewColumn.Beside, preserveFocus: true,
      }, {
        enableScripts: true,
        localResourceRoots: [this.media],
        enableFindWidget: true,
      });
      this.panel.iconPath = vscode.Uri.joinPath(this.media, 'icon.png');
      this.panel.onDidDispose(() => { this.panel = undefined; });
      this.panel.webview.onDidReceiveMessage(m => { if (isReveal(m)) void this.reveal(m); });
    } else {
      this.panel.reveal(undefined, true);
    }
    const webview = this.panel.webview;
    this.panel.title = `Simulation: ${sim.function}`;
    webview.html = renderSimulation(sim, {
      cspSource: webview.cspSource,
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.media, 'simulation.css')).toString(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.media, 'simulation.js')).toString(),
      nonce: crypto.randomBytes(16).toString('base64'),
    });
  }

  private async reveal(m: RevealMessage): Promise<void> {
    if (!this.source) return;
    const pos = new vscode.Position(m.line, m.character);
    const editor = await vscode.window.showTextDocument(this.source, {
      viewColumn: this.sourceColumn ?? vscode.ViewColumn.One,
      selection: new vscode.Range(pos, pos),
      preserveFocus: false,
    });
    editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
