// Round trips with the built server over stdio: diagnostics, code lenses,
// hover, code actions and edits, on the pin/put fixture and its fixed twin.
import * as assert from 'assert';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { LspClient, fixture, positionOf } from './harness';

const bad = fixture('pin_put.c');
const good = fixture('pin_unpin.c');
const mismatched = (ds: Diagnostic[]) => ds.filter(d => d.code === 'mismatched-release');

describe('lsp: round trip over stdio', () => {
  let c: LspClient;
  before(async () => { c = await LspClient.start(); });
  after(async () => { c?.kill(); });

  it('advertises incremental sync (and save, for the workspace index), hover, code lenses and quick fixes', () => {
    const caps = c.initializeResult.capabilities;
    assert.deepStrictEqual(caps.textDocumentSync, { openClose: true, change: 2, save: { includeText: false } });
    assert.ok(caps.hoverProvider);
    assert.ok(caps.codeLensProvider);
    assert.deepStrictEqual((caps.codeActionProvider as { codeActionKinds: string[] }).codeActionKinds, ['quickfix']);
    assert.strictEqual(c.initializeResult.serverInfo?.name, 'pinlens');
  });

  it('reports mismatched-release on the put_page line, with docs link, path and fixes', async () => {
    await c.open(bad.uri, bad.text);
    const ds = mismatched(await c.version(bad.uri, 1));
    assert.strictEqual(ds.length, 1, JSON.stringify(ds));
    const d = ds[0];
    assert.strictEqual(d.range.start.line, positionOf(bad.text, 'put_page(pages[i])').line);
    assert.strictEqual(d.severity, 1);
    assert.strictEqual(d.source, 'pinlens');
    assert.match(d.codeDescription!.href, /^file:\/\/.*\/docs\/codes\/mismatched-release\.md$/);
    const pinLine = positionOf(bad.text, 'pin_user_pages_fast(').line;
    assert.ok(d.relatedInformation?.some(r => r.location.uri === bad.uri && r.location.range.start.line === pinLine),
      'related information points at the acquire');
    assert.ok(Array.isArray((d.data as { fixes: unknown[] }).fixes));
  });

  it('reports nothing on the fixed twin', async () => {
    await c.open(good.uri, good.text);
    assert.deepStrictEqual(await c.version(good.uri, 1), []);
  });

  it('puts a mode lens with the simulation command and a releases lens on each call site', async () => {
    const lenses = await c.codeLens(good.uri);
    const at = positionOf(good.text, 'pin_user_pages_fast(');
    const mine = lenses.filter(l => l.range.start.line === at.line);
    const sim = mine.find(l => l.command?.command === 'pinlens.showSimulation');
    assert.ok(sim, JSON.stringify(lenses));
    assert.strictEqual(sim!.command!.title, 'FOLL_PIN · released by unpin_user_pages()');
    assert.deepStrictEqual(sim!.command!.arguments, [{ uri: good.uri, line: at.line, character: sim!.range.start.character }]);
    const rev = mine.find(l => l.command?.command === 'pinlens.revealReleases');
    assert.ok(rev, JSON.stringify(mine));
    assert.strictEqual(rev!.command!.title, '1 release');
    const [uri, ranges] = rev!.command!.arguments as [string, { start: { line: number } }[]];
    assert.strictEqual(uri, good.uri);
    assert.deepStrictEqual(ranges.map(r => r.start.line), [positionOf(good.text, 'unpin_user_pages(pages').line]);
    const onBad = await c.codeLens(bad.uri);
    assert.ok(onBad.some(l => l.command?.command === 'pinlens.showSimulation' && l.command.title.startsWith('FOLL_PIN')), JSON.stringify(onBad));
  });

  it('hovers a finding with its counters, and the call site with its mode', async () => {
    const onPut = await c.hover(bad.uri, positionOf(bad.text, 'put_page(pages[i])', 2));
    const md = (onPut?.contents as { value: string }).value;
    assert.match(md, /mismatched-release/);
    assert.match(md, /refcount/);
    const onPin = await c.hover(bad.uri, positionOf(bad.text, 'pin_user_pages_fast(', 3));
    assert.match((onPin?.contents as { value: string }).value, /pin_user_pages_fast[\s\S]*FOLL_PIN/);
    assert.strictEqual(await c.hover(bad.uri, { line: 0, character: 0 }), null);
  });

  it('follows pages into a struct field to the teardown that releases them, and says how the teardown runs', async () => {
    const td = fixture('teardown.c');
    await c.open(td.uri, td.text);
    const ds = mismatched(await c.version(td.uri, 1));
    assert.deepStrictEqual(ds.map(d => d.range.start.line), [positionOf(td.text, 'put_page(x->pages[i])').line]);
    const krefLine = positionOf(td.text, 'kref_put(&x->ref').line;
    assert.ok(ds[0].relatedInformation?.some(r => r.location.range.start.line === krefLine && /runs as the kref release/.test(r.message)),
      JSON.stringify(ds[0].relatedInformation));
    const at = positionOf(td.text, 'pin_user_pages_fast(');
    const lens = (await c.codeLens(td.uri)).find(l => l.range.start.line === at.line && l.command?.command === 'pinlens.showSimulation');
    // the bad release in the teardown, said on the call site whose pages it releases
    assert.match(lens?.command?.title ?? '', /^FOLL_PIN · bad release at xdev_free\(\)/);
    const hover = (await c.hover(td.uri, positionOf(td.text, 'pin_user_pages_fast(', 3)))?.contents as { value: string };
    assert.match(hover.value, /Released later, from `struct xdev\.pages`:\n- `put_page` in `xdev_free\(\)` on line \d+ — xdev_free\(\) runs as the kref release of kref_put/);
    // and the release says where the field was filled
    const onPut = (await c.hover(td.uri, positionOf(td.text, 'put_page(x->pages[i])', 2)))?.contents as { value: string };
    assert.match(onPut.value, /\*\*put_page\*\* releases `x->pages` \(`struct xdev\.pages`\), which is filled by:\n- `xdev_map\(\)`: pinned (?:and stored )?on line \d+ by `pin_user_pages_fast\(\)`/);
  });

  it('answers lenses, hovers and simulations from the cached analysis of the version', async () => {
    // v1 is analysed at once, and again when the workspace folder's index is in (the first result is
    // published only if it came before the index): wait for a result published after the index
    const indexedThenPublished = () => {
      const at = c.sequence.findIndex(m => m.startsWith('log: indexed '));
      return at >= 0 && c.sequence.slice(at).some(m => m.startsWith(`trace: pinlens: analysed ${bad.uri} v1 `));
    };
    await c.tracesUntil(indexedThenPublished);
    const runs = (ts: string[]) => ts.filter(t => t.includes(`analysing ${bad.uri} v1`)).length;
    const before = runs(c.traces);
    await c.codeLens(bad.uri);
    await c.hover(bad.uri, positionOf(bad.text, 'put_page(pages[i])', 2));
    await c.conn.sendRequest('pinlens/simulation', { uri: bad.uri, ...positionOf(bad.text, 'put_page(pages[i])') });
    assert.strictEqual(runs(c.traces), before, c.traces.join('\n'));
  });

  it('applies the quick fix, then the finding goes; undoing the edit brings it back', async () => {
    const ds = mismatched(await c.version(bad.uri, 1));
    const actions = await c.codeActions(bad.uri, ds);
    const fix = actions.find(a => a.kind === 'quickfix' && a.edit?.changes?.[bad.uri]);
    assert.ok(fix, JSON.stringify(actions));
    const edits = fix!.edit!.changes![bad.uri];
    const fixed = TextDocument.applyEdits(TextDocument.create(bad.uri, 'c', 1, bad.text), edits);
    assert.notStrictEqual(fixed, bad.text);
    const lastFirst = [...edits].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character);
    await c.change(bad.uri, 2, lastFirst.map(e => ({ range: e.range, text: e.newText })));
    assert.deepStrictEqual(mismatched(await c.version(bad.uri, 2)), []);
    await c.change(bad.uri, 3, [{ text: bad.text }]);
    assert.strictEqual(mismatched(await c.version(bad.uri, 3)).length, 1);
  });

  it('makes a finding appear on an incremental edit of the clean file', async () => {
    const at = positionOf(good.text, 'unpin_user_pages(pages, ret);');
    const end = { line: at.line, character: at.character + 'unpin_user_pages(pages, ret);'.length };
    await c.change(good.uri, 2, [{ range: { start: at, end }, text: 'while (ret--)\n\t\tput_page(pages[ret]);' }]);
    const ds = mismatched(await c.version(good.uri, 2));
    assert.strictEqual(ds.length, 1, JSON.stringify(ds));
    assert.strictEqual(ds[0].range.start.line, at.line + 1);
  });

  it('debounces a burst of edits: intermediate versions are never published', async () => {
    const text = good.text;
    const burst = 'file:///burst/pin_unpin.c';
    await c.open(burst, text);
    await c.version(burst, 1);
    // five didChange notifications in one write, as a fast typist's client would queue them
    const at = { line: 0, character: 0 };
    c.writeRaw([2, 3, 4, 5, 6].map(version => ({
      jsonrpc: '2.0', method: 'textDocument/didChange',
      params: { textDocument: { uri: burst, version }, contentChanges: [{ range: { start: at, end: at }, text: ' ' }] },
    })));
    await c.version(burst, 6);
    const seen = c.published.filter(p => p.uri === burst).map(p => p.version);
    assert.deepStrictEqual(seen, [1, 6]);
  });

  it('clears diagnostics when a document closes', async () => {
    await c.close(good.uri);
    const p = await c.diagnostics(good.uri, x => x.diagnostics.length === 0 && x.version === undefined);
    assert.deepStrictEqual(p.diagnostics, []);
  });
});
