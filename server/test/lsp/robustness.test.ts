// The server under bad input and settings: malformed and unknown requests get
// error responses and the server lives on; oversize documents get one note;
// pinlens.* settings are read per resource and re-read on change; clean exit.
import * as assert from 'assert';
import { fork, spawnSync } from 'child_process';
import { IPCMessageReader, IPCMessageWriter, ResponseError, createMessageConnection } from 'vscode-jsonrpc/node';
import { LspClient, SERVER, fixture } from './harness';

const bad = fixture('pin_put.c');

async function errorOf(p: Promise<unknown>): Promise<ResponseError<unknown>> {
  try { await p; } catch (e) { return e as ResponseError<unknown>; }
  throw new Error('expected an error response');
}

describe('lsp: bad requests, settings, lifecycle', () => {
  let c: LspClient | undefined;
  afterEach(() => { c?.kill(); c = undefined; });

  it('answers malformed and unknown requests with errors and keeps serving', async () => {
    c = await LspClient.start();
    await c.open(bad.uri, bad.text);
    await c.version(bad.uri, 1);
    assert.strictEqual((await errorOf(c.conn.sendRequest('textDocument/hover', 42))).code, -32602);
    assert.strictEqual((await errorOf(c.conn.sendRequest('textDocument/hover', { textDocument: {} }))).code, -32602);
    assert.strictEqual((await errorOf(c.conn.sendRequest('textDocument/codeAction', { textDocument: { uri: bad.uri }, context: { diagnostics: [{}] } }))).code, -32602);
    assert.strictEqual((await errorOf(c.conn.sendRequest('pinlens/simulation', { uri: bad.uri, line: -1 }))).code, -32602);
    assert.strictEqual((await errorOf(c.conn.sendRequest('pinlens/checkFolder', { uri: 'not a uri' }))).code, -32602);
    assert.strictEqual((await errorOf(c.conn.sendRequest('pinlens/noSuchRequest', {}))).code, -32601);
    c.proc.stdin.write('Content-Length: 9\r\n\r\n{garbage}');
    // code actions with data the server never produced are ignored, not trusted
    const forged = [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, message: 'x', source: 'pinlens', data: { fixes: [{ title: 'x', edits: 'no' }] } }];
    assert.deepStrictEqual(await c.codeActions(bad.uri, forged as never), []);
    assert.strictEqual(await c.hover('file:///not/open.c', { line: 0, character: 0 }), null);
    assert.ok(Array.isArray(await c.codeLens(bad.uri)));
    assert.strictEqual(await c.stop(), 0);
  });

  it('gives a document over pinlens.maxFileSize one information diagnostic and no analysis', async () => {
    c = await LspClient.start({ maxFileSize: 200 });
    await c.open(bad.uri, bad.text);
    const ds = await c.version(bad.uri, 1);
    assert.strictEqual(ds.length, 1, JSON.stringify(ds));
    assert.strictEqual(ds[0].severity, 3);
    assert.match(String(ds[0].message), /maxFileSize/);
    assert.deepStrictEqual(await c.codeLens(bad.uri), []);
  });

  it('applies disabledCodes and severity overrides, and forgets them on didChangeConfiguration', async () => {
    c = await LspClient.start({ severity: { 'mismatched-release': 'warning' } });
    await c.open(bad.uri, bad.text);
    const ds = (await c.version(bad.uri, 1)).filter(d => d.code === 'mismatched-release');
    assert.strictEqual(ds.length, 1, JSON.stringify(ds));
    assert.strictEqual(ds[0].severity, 2);
    c.settings = { disabledCodes: ['mismatched-release'], pathBudget: 'junk' };
    // (an analysis under way with the old settings, such as the one the folder's index starts, may publish first)
    const next = c.nextDiagnostics(bad.uri, p => !p.diagnostics.some(d => d.code === 'mismatched-release'));
    await c.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    assert.strictEqual((await next).version, 1); // (none comes within the wait if the new settings are not applied)
  });

  it('exits with 1 on exit without shutdown (LSP rule)', async () => {
    c = await LspClient.start();
    await c.conn.sendNotification('exit');
    assert.strictEqual(await new Promise(r => c!.proc.on('exit', r)), 1);
  });

  it('prints its usage and exits with 2 when given no transport', () => {
    const r = spawnSync(process.execPath, [SERVER], { encoding: 'utf8', timeout: 10000 });
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /usage: pinlens-server --stdio/);
  });

  it('serves over node IPC, the transport the VS Code client uses', async () => {
    const p = fork(SERVER, ['--node-ipc'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const conn = createMessageConnection(new IPCMessageReader(p), new IPCMessageWriter(p));
    conn.listen();
    try {
      const init: { capabilities: { hoverProvider?: boolean } } = await conn.sendRequest('initialize', { processId: null, rootUri: null, capabilities: {} });
      assert.ok(init.capabilities.hoverProvider);
      await conn.sendRequest('shutdown');
      const exited = new Promise(r => p.on('exit', r));
      await conn.sendNotification('exit');
      assert.strictEqual(await exited, 0);
    } finally {
      conn.dispose();
      if (p.exitCode === null) p.kill();
    }
  });
});
