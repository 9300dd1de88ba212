// No document's analysis holds up the others: the built server over stdio
// while one document takes seconds to analyse (big single functions near the
// core's budgets, robust/shapes.ts). Another document's diagnostics and hover,
// shutdown and exit, and a cancelled request answer within a bound far below
// it; an edit that overtakes the slow analysis publishes only its own
// version; closing the slow document frees its thread.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { LspClient, fixture, positionOf } from './harness';
import { BIG } from '../robust/shapes';

/** Answers that must not wait for the slow document (its analysis takes several seconds here). */
const QUICK_MS = 1500;

/** Three functions that each run the core to its budgets, then a small one that releases pinned pages with put_page(). */
function slowText(release: string): string {
  const big = BIG['ifs-200-around-acquires'];
  const fns = ['g1', 'g2', 'g3'].map(n => big.replace('int g(', `int ${n}(`)).join('\n');
  return `${fns}\nint small(unsigned long a, struct page **pages)\n{\n\tint ret = pin_user_pages_fast(a, 1, FOLL_WRITE, pages);\n\tif (ret != 1)\n\t\treturn -EFAULT;\n\t${release}(pages[0]);\n\treturn 0;\n}\n`;
}

describe('lsp: one slow document blocks no other', function () {
  this.timeout(120_000);
  let dir = '';
  let c: LspClient | undefined;
  const small = fixture('pin_put.c');
  let slowUri = '';

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-slow-'));
    const file = path.join(dir, 'slow.c');
    fs.writeFileSync(file, slowText('put_page'));
    slowUri = pathToFileURL(file).href;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterEach(() => { c?.kill(); c = undefined; delete process.env.PINLENS_ANALYSIS_THREADS; delete process.env.PINLENS_ANALYSIS_HEAP_MB; });

  const published = (uri: string) => c!.published.filter(p => p.uri === uri);
  const started = (uri: string, v: number) => c!.tracesUntil(ts => ts.some(t => t.includes(`analysing ${uri} v${v}`)), 30_000);

  it('answers another document\'s diagnostics and hover, then shutdown and exit, while one is analysed', async () => {
    c = await LspClient.start({}, { rootUri: null });
    await c.open(slowUri, slowText('put_page'));
    await started(slowUri, 1);
    let t0 = performance.now();
    await c.open(small.uri, small.text);
    const ds = await c.version(small.uri, 1);
    const diagMs = performance.now() - t0;
    assert.ok(ds.some(d => d.code === 'mismatched-release'), JSON.stringify(ds));
    t0 = performance.now();
    const hover = await c.hover(small.uri, positionOf(small.text, 'put_page(pages[i])', 2));
    const hoverMs = performance.now() - t0;
    assert.ok(hover, 'a hover on the small document');
    // the slow one is still under way: nothing of it was published
    assert.deepStrictEqual(published(slowUri), [], 'the slow document was published before the small one answered (it waited for it, or the shape is too small for this machine)');
    assert.ok(diagMs < QUICK_MS, `the small document's diagnostics took ${diagMs.toFixed(0)} ms`);
    assert.ok(hoverMs < QUICK_MS, `the hover took ${hoverMs.toFixed(0)} ms`);
    t0 = performance.now();
    assert.strictEqual(await c.stop(), 0);
    const stopMs = performance.now() - t0;
    assert.ok(stopMs < QUICK_MS, `shutdown and exit took ${stopMs.toFixed(0)} ms`);
    assert.deepStrictEqual(published(slowUri), []);
  });

  it('publishes only the newest version when an edit overtakes a slow analysis', async () => {
    c = await LspClient.start({}, { rootUri: null });
    await c.open(slowUri, slowText('put_page'));
    await started(slowUri, 1);
    // the small function's release fixed while v1 is analysed
    const text = slowText('put_page');
    const at = positionOf(text, '\tput_page(pages[0]);', 1);
    await c.change(slowUri, 2, [{ range: { start: at, end: { line: at.line, character: at.character + 'put_page'.length } }, text: 'unpin_user_page' }]);
    const v2 = await c.version(slowUri, 2);
    assert.deepStrictEqual(published(slowUri).map(p => p.version), [2], 'a stale version was published');
    assert.ok(!v2.some(d => d.code === 'mismatched-release' && d.range.start.line === at.line), JSON.stringify(v2.filter(d => d.range.start.line === at.line)));
    // and v2 is what the server holds: the hover on the fixed line says unpin_user_page
    const h = await c.hover(slowUri, { line: at.line, character: at.character + 2 }) as { contents: { value: string } } | null;
    assert.doesNotMatch(h?.contents.value ?? '', /put_page\(\) on PIN pages/);
  });

  it('answers RequestCancelled at once to a cancelled simulation that waits for a slow analysis', async () => {
    c = await LspClient.start({}, { rootUri: null });
    const text = slowText('put_page');
    await c.open(slowUri, text);
    await started(slowUri, 1);
    const source = new CancellationTokenSource();
    const t0 = performance.now();
    const answer = c.conn.sendRequest('pinlens/simulation', { uri: slowUri, ...positionOf(text, '\tput_page(pages[0]);', 1) }, source.token)
      .then(() => undefined, (e: unknown) => e);
    source.cancel();
    const err = await answer;
    const ms = performance.now() - t0;
    assert.ok(err instanceof ResponseError && err.code === -32800, `expected RequestCancelled, got ${String(err)}`);
    assert.ok(ms < QUICK_MS, `the cancelled request took ${ms.toFixed(0)} ms`);
    assert.deepStrictEqual(published(slowUri), []);
  });

  it('closing a document ends its analysis (one analysis thread: the next document does not wait for it)', async () => {
    process.env.PINLENS_ANALYSIS_THREADS = '1';
    c = await LspClient.start({}, { rootUri: null });
    await c.open(slowUri, slowText('put_page'));
    await started(slowUri, 1);
    await c.close(slowUri);
    const t0 = performance.now();
    await c.open(small.uri, small.text);
    await c.version(small.uri, 1);
    const ms = performance.now() - t0;
    assert.ok(ms < QUICK_MS, `the next document waited ${ms.toFixed(0)} ms`);
    // the only publish of the closed document is the empty one that clears it
    assert.deepStrictEqual(published(slowUri).map(p => p.diagnostics.length), [0]);
    assert.ok(!c.traces.some(t => t.includes(`analysed ${slowUri}`)), c.traces.join('\n'));
  });

  it('says so when an analysis thread runs out of memory, stays up, and analyses on the main thread when threads keep ending', async () => {
    process.env.PINLENS_ANALYSIS_HEAP_MB = '8'; // too little for a thread to load its parser
    c = await LspClient.start({}, { rootUri: null });
    await c.open(small.uri, small.text);
    const v1 = await c.version(small.uri, 1);
    assert.deepStrictEqual(v1.map(d => d.code), ['analysis-incomplete']);
    assert.match(String(v1[0].message), /ran out of memory \(8 MB\)/);
    let v = 1, ds = v1;
    while (!ds.some(d => d.code === 'mismatched-release') && v < 6) {
      v++;
      await c.change(small.uri, v, [{ text: small.text + '\n'.repeat(v) }]);
      ds = await c.version(small.uri, v);
    }
    assert.ok(ds.some(d => d.code === 'mismatched-release'), JSON.stringify(ds));
    assert.ok(c.logs.some(l => /analysing on the main thread from now on/.test(l)), c.logs.join('\n'));
    assert.strictEqual(await c.stop(), 0);
  });

  it('answers RequestCancelled at once to a cancelled Check Workspace whose file is being analysed, and publishes nothing of it', async () => {
    c = await LspClient.start({}, { rootUri: pathToFileURL(dir).href });
    const source = new CancellationTokenSource();
    const answer = c.conn.sendRequest('pinlens/checkFolder', { uri: pathToFileURL(dir).href }, source.token).then(() => undefined, (e: unknown) => e);
    // the folder is listed and its one file's analysis begins
    while (!c.progress.some(p => /^0\/1 files/.test(p.message ?? ''))) await new Promise(r => setTimeout(r, 20));
    const t0 = performance.now();
    source.cancel();
    const err = await answer;
    const ms = performance.now() - t0;
    assert.ok(err instanceof ResponseError && err.code === -32800, `expected RequestCancelled, got ${String(err)}`);
    assert.ok(ms < QUICK_MS, `the cancelled check took ${ms.toFixed(0)} ms`);
    assert.strictEqual(await c.stop(), 0);
    assert.deepStrictEqual(published(slowUri), []);
  });
});
