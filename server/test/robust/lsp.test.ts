// The built server over stdio, spoken to in raw bytes: the LSP lifecycle
// (ServerNotInitialized before initialize, InvalidRequest after shutdown),
// malformed messages dropped while the rest of the same write is served, and
// a patch document with absurd hunk numbers that blocks no other document.
import * as assert from 'assert';
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import * as path from 'path';

const SERVER = path.join(__dirname, '..', '..', '..', 'out', 'server.js');

type Msg = { id?: number | string | null; method?: string; params?: unknown; result?: unknown; error?: { code: number; message: string } };

class RawClient {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly got: Msg[] = [];
  private buf = Buffer.alloc(0);
  private waiters: { ok: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  readonly exited: Promise<number | null>;

  constructor() {
    this.proc = spawn(process.execPath, [SERVER, '--stdio'], { stdio: 'pipe' });
    this.exited = new Promise(r => this.proc.on('exit', code => r(code)));
    this.proc.stdout.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const h = this.buf.indexOf('\r\n\r\n');
        if (h < 0) return;
        const n = Number(/Content-Length: (\d+)/i.exec(this.buf.subarray(0, h).toString())![1]);
        if (this.buf.length < h + 4 + n) return;
        const m = JSON.parse(this.buf.subarray(h + 4, h + 4 + n).toString('utf8')) as Msg;
        this.buf = this.buf.subarray(h + 4 + n);
        // the server's own requests (configuration, progress) get an empty answer
        if (m.method && m.id !== undefined) this.send({ jsonrpc: '2.0', id: m.id, result: m.method === 'workspace/configuration' ? [null] : null });
        this.got.push(m);
        this.waiters = this.waiters.filter(w => (w.ok(m) ? (w.resolve(m), false) : true));
      }
    });
  }

  static frame(o: object): string {
    const body = JSON.stringify(o);
    return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  }

  send(o: object): void { this.proc.stdin.write(RawClient.frame(o)); }
  raw(s: string | Buffer): void { this.proc.stdin.write(s); }

  wait(ok: (m: Msg) => boolean, ms = 20_000, what = 'a message'): Promise<Msg> {
    const had = this.got.find(ok);
    if (had) return Promise.resolve(had);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms; got ${JSON.stringify(this.got.slice(-4)).slice(0, 600)}`)), ms);
      this.waiters.push({ ok, resolve: m => { clearTimeout(t); resolve(m); } });
    });
  }

  answer(id: number, ms?: number): Promise<Msg> { return this.wait(m => m.id === id && !m.method, ms, `answer to ${id}`); }

  async initialize(): Promise<void> {
    this.send({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
    await this.wait(m => m.id === 'init' && !m.method);
    this.send({ jsonrpc: '2.0', method: 'initialized', params: {} });
  }

  kill(): void { if (this.proc.exitCode === null) this.proc.kill(); }
}

const hover = (id: number) => ({ jsonrpc: '2.0', id, method: 'textDocument/hover', params: { textDocument: { uri: 'file:///nowhere/x.c' }, position: { line: 0, character: 0 } } });
const C_BAD = 'int f(unsigned long a, int n, struct page **pages)\n{\n\tint i, ret = pin_user_pages_fast(a, n, FOLL_WRITE, pages);\n\tif (ret <= 0)\n\t\treturn ret;\n\tfor (i = 0; i < ret; i++)\n\t\tput_page(pages[i]);\n\treturn 0;\n}\n';

describe('robustness: the language server over raw stdio', function () {
  this.timeout(60_000);
  let c: RawClient | undefined;
  afterEach(() => { c?.kill(); c = undefined; });

  it('answers a request before initialize with ServerNotInitialized (-32002) and drops notifications', async () => {
    c = new RawClient();
    c.send(hover(1));
    c.send({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri: 'file:///early.c', languageId: 'c', version: 1, text: C_BAD } } });
    const a = await c.answer(1);
    assert.strictEqual(a.error?.code, -32002, JSON.stringify(a));
    await c.initialize();
    c.send(hover(2));
    assert.strictEqual((await c.answer(2)).error, undefined);
    // the early didOpen was not taken: no diagnostics for it
    assert.ok(!c.got.some(m => m.method === 'textDocument/publishDiagnostics' && (m.params as { uri: string }).uri === 'file:///early.c'));
  });

  it('answers requests after shutdown with InvalidRequest (-32600), then exits 0 on exit', async () => {
    c = new RawClient();
    await c.initialize();
    c.send({ jsonrpc: '2.0', id: 1, method: 'shutdown' });
    assert.strictEqual((await c.answer(1)).error, undefined);
    c.send(hover(2));
    assert.strictEqual((await c.answer(2)).error?.code, -32600);
    c.send({ jsonrpc: '2.0', method: 'exit' });
    assert.strictEqual(await c.exited, 0);
  });

  it('drops malformed messages and serves what follows them in the same write', async () => {
    c = new RawClient();
    await c.initialize();
    const bad: [string, string][] = [
      ['no Content-Length', 'X-Foo: 1\r\n\r\n'],
      ['a Content-Length that is not a number', 'Content-Length: abc\r\n\r\n{"jsonrpc":"2.0","id":99,"method":"shutdown"}'],
      ['a header line without a colon', 'Content-Length 12\r\n\r\n'],
      ['a body that is not JSON', 'Content-Length: 9\r\n\r\n{garbage}'],
      ['a body that is JSON but no object', 'Content-Length: 7\r\n\r\n[1,2,3]'],
      ['an unknown charset', 'Content-Length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=latin9\r\n\r\n{}'],
      ['junk bytes before a header', 'hello there\n'],
      ['a Content-Length far over any message', 'Content-Length: 99999999999\r\n\r\n'],
    ];
    let id = 10;
    for (const [what, bytes] of bad) {
      id++;
      c.raw(bytes + RawClient.frame(hover(id)));
      const a: Msg = await c.answer(id, 10_000).catch((e: Error) => { throw new Error(`after ${what}: ${e.message}`); });
      assert.strictEqual(a.error, undefined, what);
    }
    // the shutdown inside a dropped message was not taken
    assert.ok(!c.got.some(m => m.id === 99));
    c.send({ jsonrpc: '2.0', id: 1, method: 'shutdown' });
    await c.answer(1);
    c.send({ jsonrpc: '2.0', method: 'exit' });
    assert.strictEqual(await c.exited, 0);
  });

  it('a patch document with absurd hunk numbers blocks no other document, nor shutdown and exit', async () => {
    c = new RawClient();
    await c.initialize();
    const hunk = (start: string) => `--- a/x.c\n+++ b/x.c\n@@ -${start},3 +${start},4 @@\n int a;\n-int b;\n+int bb;\n+int bbb;\n int c;\n`;
    let v = 0;
    for (const start of ['4294967296', '9007199254740992', '18446744073709551616', '99999999']) {
      const uri = `file:///nowhere/huge-${++v}.patch`;
      c.send({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: 'diff', version: 1, text: hunk(start) } } });
    }
    const t = Date.now();
    c.send({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri: 'file:///nowhere/bad.c', languageId: 'c', version: 1, text: C_BAD } } });
    const d = await c.wait(m => m.method === 'textDocument/publishDiagnostics' && (m.params as { uri: string }).uri === 'file:///nowhere/bad.c', 20_000, 'diagnostics for bad.c');
    assert.ok((d.params as { diagnostics: { code: string }[] }).diagnostics.some(x => x.code === 'mismatched-release'));
    assert.ok(Date.now() - t < 15_000);
    const p1 = await c.wait(m => m.method === 'textDocument/publishDiagnostics' && (m.params as { uri: string }).uri === 'file:///nowhere/huge-1.patch', 20_000, 'diagnostics for the patch');
    assert.match(JSON.stringify(p1.params), /has line numbers past 100000000/);
    c.send({ jsonrpc: '2.0', id: 1, method: 'shutdown' });
    await c.answer(1, 10_000);
    c.send({ jsonrpc: '2.0', method: 'exit' });
    assert.strictEqual(await c.exited, 0);
  });
});
