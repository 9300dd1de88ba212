// A real LSP client for the tests: spawns the built server (out/server.js,
// built by `npm run build`) and speaks JSON-RPC over its stdio. Waiting is
// event-driven: a wait resolves on the notification it asked for.
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import * as rpc from 'vscode-jsonrpc/node';
import type {
  CodeAction, CodeLens, Diagnostic, Hover, InitializeResult, PublishDiagnosticsParams, TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const SERVER = path.join(ROOT, 'out', 'server.js');
export const FIXTURES = path.join(__dirname, 'fixtures');

export function fixture(name: string): { uri: string; text: string; file: string } {
  const file = path.join(FIXTURES, name);
  return { uri: pathToFileURL(file).href, text: fs.readFileSync(file, 'utf8'), file };
}

/** The 0-based position of the first occurrence of `needle` (clangd-style markers by content). */
export function positionOf(text: string, needle: string, offsetInNeedle = 0): { line: number; character: number } {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`fixture text has no ${JSON.stringify(needle)}`);
  const before = text.slice(0, at + offsetInNeedle);
  const line = before.split('\n').length - 1;
  return { line, character: before.length - (before.lastIndexOf('\n') + 1) };
}

type Waiter = { uri: string; ok: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void };

export class LspClient {
  readonly published: PublishDiagnosticsParams[] = [];
  readonly logs: string[] = [];
  /** $/logTrace messages: the server traces each analysis it runs. */
  readonly traces: string[] = [];
  /** log messages and traces in the order they came (`log: …`, `trace: …`) */
  readonly sequence: string[] = [];
  /** work-done progress the server reported ($/progress values), in order */
  readonly progress: { kind: string; title?: string; message?: string }[] = [];
  private waiters: Waiter[] = [];
  private traceWaiters: (() => void)[] = [];
  private exited: Promise<number | null>;

  private constructor(readonly proc: ChildProcessWithoutNullStreams, readonly conn: rpc.MessageConnection, public settings: Record<string, unknown>) {
    this.exited = new Promise(resolve => proc.on('exit', code => resolve(code)));
    conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.published.push(p);
      this.waiters = this.waiters.filter(w => (w.uri === p.uri && w.ok(p) ? (w.resolve(p), false) : true));
    });
    conn.onNotification('window/logMessage', (m: { message: string }) => { this.logs.push(m.message); this.sequence.push(`log: ${m.message}`); });
    conn.onNotification('$/logTrace', (m: { message: string }) => {
      this.traces.push(m.message);
      this.sequence.push(`trace: ${m.message}`);
      for (const w of this.traceWaiters) w();
    });
    conn.onNotification('$/progress', (p: { value: { kind: string; title?: string; message?: string } }) => { this.progress.push(p.value); });
    conn.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) =>
      p.items.map(i => (i.section === 'pinlens' ? this.settings : null)));
    conn.onRequest('client/registerCapability', () => null);
    conn.onRequest('window/workDoneProgress/create', () => null);
    conn.listen();
  }

  /** `init.rootUri` replaces the fixtures folder as the workspace root (null: no root). */
  static async start(settings: Record<string, unknown> = {}, init: { rootUri?: string | null; workspaceFolders?: { uri: string; name: string }[] | null } = {}): Promise<LspClient> {
    if (!fs.existsSync(SERVER)) throw new Error(`${SERVER} is missing: run \`npm run build\` first`);
    const proc = spawn(process.execPath, [SERVER, '--stdio'], { stdio: 'pipe' });
    proc.stderr.on('data', d => process.env.PINLENS_TEST_VERBOSE && process.stderr.write(d));
    const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(proc.stdout), new rpc.StreamMessageWriter(proc.stdin));
    const c = new LspClient(proc, conn, settings);
    c.initializeResult = await conn.sendRequest('initialize', {
      processId: process.pid, rootUri: init.rootUri === undefined ? pathToFileURL(FIXTURES).href : init.rootUri,
      workspaceFolders: init.workspaceFolders ?? null, trace: 'verbose',
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
        textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true, dataSupport: true } },
        window: { workDoneProgress: true },
      },
    });
    await conn.sendNotification('initialized', {});
    return c;
  }

  initializeResult!: InitializeResult;

  /** The next publish for uri that satisfies ok (or the latest one already received, if it does). */
  diagnostics(uri: string, ok: (p: PublishDiagnosticsParams) => boolean = () => true, ms = 15000): Promise<PublishDiagnosticsParams> {
    const last = [...this.published].reverse().find(p => p.uri === uri);
    if (last && ok(last)) return Promise.resolve(last);
    return this.nextDiagnostics(uri, ok, ms);
  }

  /** Only publishes that arrive from now on. */
  nextDiagnostics(uri: string, ok: (p: PublishDiagnosticsParams) => boolean = () => true, ms = 15000): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching diagnostics for ${uri} within ${ms} ms; got ${JSON.stringify(this.published.filter(p => p.uri === uri).slice(-3))}`)), ms);
      this.waiters.push({ uri, ok, resolve: p => { clearTimeout(timer); resolve(p); } });
    });
  }

  /** Resolves when the traces so far satisfy `ok` (checked now and on each trace). */
  tracesUntil(ok: (traces: string[]) => boolean, ms = 15000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!ok(this.traces)) return;
        clearTimeout(timer);
        this.traceWaiters = this.traceWaiters.filter(w => w !== check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.traceWaiters = this.traceWaiters.filter(w => w !== check);
        reject(new Error(`the traces did not come within ${ms} ms:\n${this.traces.slice(-10).join('\n')}`));
      }, ms);
      this.traceWaiters.push(check);
      check();
    });
  }

  /** Diagnostics for exactly this document version. */
  version(uri: string, version: number): Promise<Diagnostic[]> {
    return this.diagnostics(uri, p => p.version === version).then(p => p.diagnostics);
  }

  open(uri: string, text: string, version = 1, languageId = 'c'): Promise<void> {
    return this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  change(uri: string, version: number, contentChanges: TextDocumentContentChangeEvent[]): Promise<void> {
    return this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges });
  }

  close(uri: string): Promise<void> {
    return this.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  codeLens(uri: string): Promise<CodeLens[]> {
    return this.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } });
  }

  hover(uri: string, position: { line: number; character: number }): Promise<Hover | null> {
    return this.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position });
  }

  codeActions(uri: string, diagnostics: Diagnostic[]): Promise<CodeAction[]> {
    const range = diagnostics[0]?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    return this.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range, context: { diagnostics } });
  }

  /** JSON-RPC messages framed and written to the server's stdin in a single write. */
  writeRaw(messages: object[]): void {
    this.proc.stdin.write(messages.map(m => {
      const body = Buffer.from(JSON.stringify(m), 'utf8');
      return `Content-Length: ${body.length}\r\n\r\n${body.toString('utf8')}`;
    }).join(''));
  }

  /** shutdown + exit; resolves with the process's exit code. */
  async stop(): Promise<number | null> {
    if (this.proc.exitCode === null) {
      await this.conn.sendRequest('shutdown');
      await this.conn.sendNotification('exit');
    }
    const code = await this.exited;
    this.conn.dispose();
    return code;
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill();
    this.conn.dispose();
  }
}
