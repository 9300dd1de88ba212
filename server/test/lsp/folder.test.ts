// pinlens/checkFolder and pinlens/simulation, the two custom requests.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import type { CheckFolderResult, SimulationResult } from '../../src/protocol';
import { FIXTURES, LspClient, fixture, positionOf } from './harness';

const bad = fixture('pin_put.c');
const good = fixture('pin_unpin.c');

describe('lsp: custom requests', () => {
  let c: LspClient;
  before(async () => { c = await LspClient.start(); });
  after(() => c?.kill());

  it('checks a folder of C files and publishes their diagnostics', async () => {
    const published = c.nextDiagnostics(bad.uri, p => p.diagnostics.some(d => d.code === 'mismatched-release'));
    const r: CheckFolderResult = await c.conn.sendRequest('pinlens/checkFolder', { uri: pathToFileURL(FIXTURES).href });
    assert.ok(r.files >= 2, JSON.stringify(r));
    assert.ok(r.callSites >= 2, JSON.stringify(r));
    assert.ok(r.findings >= 1, JSON.stringify(r));
    await published;
  });

  it('walks through a symlink loop once and skips files over maxFileSize', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-folder-'));
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'sub', 'pin_put.c'), bad.text);
    fs.symlinkSync('..', path.join(dir, 'sub', 'loop'));
    fs.writeFileSync(path.join(dir, 'huge.h'), '/* padding */\n'.repeat(2000));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'put_page');
    const loose = await LspClient.start({ maxFileSize: 20000 });
    try {
      const r: CheckFolderResult = await loose.conn.sendRequest('pinlens/checkFolder', { uri: pathToFileURL(dir).href });
      assert.deepStrictEqual({ files: r.files, findings: r.findings }, { files: 1, findings: 1 }, JSON.stringify(r));
      assert.deepStrictEqual(r.skipped, [path.join(dir, 'huge.h')]);
    } finally {
      loose.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('returns the path behind a finding and the trace behind a call site', async () => {
    await c.open(good.uri, good.text);
    await c.open(bad.uri, bad.text);
    const onPut: SimulationResult | null = await c.conn.sendRequest('pinlens/simulation', { uri: bad.uri, ...positionOf(bad.text, 'put_page(pages[i])') });
    assert.ok(onPut, 'a simulation for the finding');
    assert.match(onPut!.title, /^mismatched-release/);
    assert.strictEqual(onPut!.api, 'pin_user_pages_fast');
    assert.ok(onPut!.steps.length > 0);
    const onPin: SimulationResult | null = await c.conn.sendRequest('pinlens/simulation', { uri: good.uri, ...positionOf(good.text, 'pin_user_pages_fast(') });
    assert.strictEqual(onPin?.mode, 'PIN');
    assert.strictEqual(onPin?.function, 'demo_fill_buf');
    assert.ok(onPin!.steps.length > 0);
    assert.strictEqual(await c.conn.sendRequest('pinlens/simulation', { uri: good.uri, line: 0, character: 0 }), null);
  });
});
