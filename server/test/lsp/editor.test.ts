// What a reviewer reads in the editor, over stdio with the built server:
// path steps in words, a few related rows per finding, hovers that add to the
// diagnostic (counters first, the whole path, how an acquire's pages are
// released), short lenses that name a bad release elsewhere, quick fixes
// beyond the renamed release (in C files and as edits of a patch's `+` lines),
// and the index's progress and the log the Output channel shows.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol';
import type { SimulationResult } from '../../src/protocol';
import { LspClient, fixture, positionOf } from './harness';

const review = fixture('review.c');
const code = (ds: Diagnostic[], c: string) => ds.filter(d => d.code === c);
const md = (h: unknown) => ((h as { contents?: { value?: string } } | null)?.contents?.value ?? '');
const lineOf = (text: string, needle: string) => positionOf(text, needle).line;

function apply(text: string, action: CodeAction, uri: string): string {
  const edits = action.edit?.changes?.[uri];
  assert.ok(edits?.length, JSON.stringify(action));
  return TextDocument.applyEdits(TextDocument.create(uri, 'c', 1, text), edits);
}

describe('lsp: the editor as a reviewer reads it', () => {
  let c: LspClient;
  let ds: Diagnostic[];
  before(async () => {
    c = await LspClient.start();
    await c.open(review.uri, review.text);
    ds = await c.version(review.uri, 1);
  });
  after(() => c?.kill());

  it('says what each step means, and keeps the related rows to the steps that matter', () => {
    const d = code(ds, 'release-without-reference')[0];
    assert.ok(d, JSON.stringify(ds));
    const rows = d.relatedInformation!.map(r => `${r.location.range.start.line + 1}: ${r.message}`);
    assert.ok(rows.length <= 4, rows.join('\n'));
    assert.deepStrictEqual(rows.map(r => r.replace(/:.*/, '')).map(Number), [
      lineOf(review.text, 'n = iov_iter_extract_pages') + 1, lineOf(review.text, 'if (n <= 0)') + 1,
      lineOf(review.text, 'if (!(!iov_iter_is_kvec') + 1, lineOf(review.text, 'unpin_user_page(pages[i])') + 1,
    ]);
    assert.ok(rows.includes(`${lineOf(review.text, 'if (!(!iov_iter_is_kvec') + 1}: iov_iter_is_kvec(iter) is true`), rows.join('\n'));
    assert.ok(rows.includes(`${lineOf(review.text, 'if (n <= 0)') + 1}: n > 0`), rows.join('\n'));
    for (const x of ds) {
      assert.ok((x.relatedInformation?.length ?? 0) <= 5, `${x.code}: ${x.relatedInformation?.length} rows`);
      for (const r of x.relatedInformation ?? []) assert.doesNotMatch(r.message, /!\(|\(\(|likely\(/, r.message);
    }
  });

  it('hovers a finding with its counters first, the whole path in words, and not the diagnostic again', async () => {
    const d = code(ds, 'release-without-reference')[0];
    const text = md(await c.hover(review.uri, d.range.start));
    assert.ok(!text.includes(typeof d.message === 'string' ? d.message : ''), 'the message is the editor\'s own line');
    const table = text.indexOf('| small folio: refcount |'), pathAt = text.indexOf('The path (');
    assert.ok(table > 0 && pathAt > table, text);
    assert.match(text, /\| small folio: refcount \| 0 \| -1024 \|/);
    assert.match(text, /1\. line \d+: shm was allocated\n2\. line \d+: len \\> 0\n/);
    assert.doesNotMatch(text, /, \)/); // no empty count
  });

  it('says on an acquire call how its pages are released, from the catalog', async () => {
    const text = md(await c.hover(review.uri, positionOf(review.text, 'pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);\n\tif (got <= 0) {', 3)));
    assert.match(text, /Released with `unpin_user_page\(\)`, `unpin_user_pages\(\)`, `unpin_user_pages_dirty_lock\(\)`/);
    assert.doesNotMatch(text, /put_user_pages|release_pages/);
    const extract = md(await c.hover(review.uri, positionOf(review.text, 'iov_iter_extract_pages(iter', 3)));
    assert.match(extract, /only if `iov_iter_extract_will_pin\(\)`/);
  });

  it('says where a field\'s pages were pinned and where they were stored', async () => {
    const text = md(await c.hover(review.uri, positionOf(review.text, 'put_page(b->pages[i])', 2)));
    const pinned = lineOf(review.text, 'got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);\n\tif (got <= 0) {') + 1;
    const stored = lineOf(review.text, 'b->pages = pages;') + 1;
    assert.ok(text.includes(`\`rv_map()\`: pinned on line ${pinned} by \`pin_user_pages_fast()\`, stored on line ${stored}`), text);
    assert.ok(text.includes(`Pages from \`pin_user_pages_fast()\` (FOLL_PIN) on line ${pinned}, stored on line ${stored}.`), text);
  });

  it('keeps lenses short and names the bad release of a call site\'s pages, in its teardown too', async () => {
    const lenses = await c.codeLens(review.uri);
    for (const l of lenses) {
      assert.ok(l.command!.title.length <= 80, l.command!.title);
      assert.doesNotMatch(l.command!.title, /handed to (?:stored|passed)/);
    }
    const on = (needle: string) => lenses.find(l => l.range.start.line === lineOf(review.text, needle) && l.command?.command === 'pinlens.showSimulation')?.command?.title;
    assert.strictEqual(on('got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);\n\tif (got <= 0) {'), 'FOLL_PIN · bad release at rv_unmap() · stored in b->pages');
    assert.strictEqual(on('got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);\n\tif (got < 0)'), `FOLL_PIN · leaks at line ${lineOf(review.text, 'return -EFAULT;\n\tunpin') + 1} · released by unpin_user_pages()`);
  });

  it('offers the release the leaking path lacks, and it removes the leak', async () => {
    const leak = code(ds, 'leaked-pages');
    const actions = await c.codeActions(review.uri, leak);
    const fix = actions.find(a => /^Release pages with unpin_user_pages\(\) before this return$/.test(a.title));
    assert.ok(fix, JSON.stringify(actions.map(a => a.title)));
    const fixed = apply(review.text, fix!, review.uri);
    assert.match(fixed, /\tif \(got != nr\) \{\n\t\tunpin_user_pages\(pages, got\);\n\t\treturn -EFAULT;\n\t\}\n/);
    await c.change(review.uri, 2, [{ text: fixed }]);
    const after = await c.version(review.uri, 2);
    assert.deepStrictEqual(code(after, 'leaked-pages'), []);
    assert.strictEqual(after.length, ds.length - 1, JSON.stringify(after.map(d => d.code)));
  });

  it('offers to release the count obtained rather than the one requested', async () => {
    const now = await c.version(review.uri, 2);
    const actions = await c.codeActions(review.uri, code(now, 'release-count-mismatch'));
    const fix = actions.find(a => a.title === 'Release the got pages obtained, not nr');
    assert.ok(fix, JSON.stringify(actions.map(a => a.title)));
    assert.ok(fix!.isPreferred);
    const text = apply(TextDocument.create(review.uri, 'c', 2, review.text).getText(), fix!, review.uri);
    assert.ok(text.includes('unpin_user_pages(pages, got);\n\treturn 0;\n}\n'), text.slice(-200));
  });

  it('shows the failing path first in the simulation, with the bad step flagged and the backing decided by the branch', async () => {
    const at = positionOf(review.text, 'n = iov_iter_extract_pages', 4);
    const sim: SimulationResult | null = await c.conn.sendRequest('pinlens/simulation', { uri: review.uri, ...at });
    assert.ok(sim && sim.paths.length >= 2, JSON.stringify(sim));
    assert.strictEqual(sim!.paths[0].code, 'release-without-reference');
    const steps = sim!.paths[0].steps;
    const acquire = steps.find(s => s.ledger?.mode === 'EXTRACT')!;
    assert.deepStrictEqual([acquire.ledger!.small.refcount, acquire.ifPinned?.small.refcount], [0, 1024]);
    const kvec = steps.find(s => s.note === 'iov_iter_is_kvec(iter) is true')!;
    assert.strictEqual(kvec.decides, true);
    assert.strictEqual(kvec.ledger?.mode, 'NONE');
    const flagged = steps.filter(s => s.flagged);
    assert.strictEqual(flagged.length, 1);
    assert.strictEqual(flagged[0].range.start.line, lineOf(review.text, 'unpin_user_page(pages[i])'));
    assert.strictEqual(flagged[0].ledger?.small.refcount, -1024);
    assert.match(sim!.paths[0].consequence ?? '', /underflows/);
  });
});

const TREE_C = `#include <linux/mm.h>

int x_read(unsigned long uaddr, struct page **pages, int n)
{
	int got;

	got = pin_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got <= 0)
		return got;
	unpin_user_pages(pages, got);
	return 0;
}
`;

/** Adds x_fill(), which leaves a short pin behind: the fix is new `+` lines and a bigger hunk. */
const ADD_FILL = `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Ada Reviewer <ada@example.org>
Date: Mon, 4 Mar 2024 10:01:00 +0000
Subject: [PATCH] x: add x_fill()

---
diff --git a/drivers/x/pin.c b/drivers/x/pin.c
--- a/drivers/x/pin.c
+++ b/drivers/x/pin.c
@@ -10,3 +10,15 @@ int x_read(unsigned long uaddr, struct page **pages, int n)
 	unpin_user_pages(pages, got);
 	return 0;
 }
+
+int x_fill(unsigned long uaddr, struct page **pages, int n)
+{
+	int got;
+
+	got = pin_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
+	if (got < 0)
+		return got;
+	if (got != n)
+		return -EFAULT;
+	return 0;
+}
-- 
2.43.0
`;

/** Pins into a struct field here… */
const XFILL = `#include <linux/mm.h>

int x_map(struct xbuf *b, unsigned long uaddr, int nr)
{
	int got;

	got = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, b->pages);
	if (got <= 0)
		return got ? got : -EFAULT;
	b->nr = got;
	return 0;
}
`;

/** …and put_page()s it in another file's teardown. */
const XFREE = `#include <linux/mm.h>

void x_unmap(struct xbuf *b)
{
	int i;

	for (i = 0; i < b->nr; i++)
		put_page(b->pages[i]);
}
`;

describe('lsp: quick fixes in a patch document, the index and the log', () => {
  let c: LspClient;
  let dir: string;
  const indexing: { folder: string; indexing: boolean; files?: number }[] = [];
  let indexed: () => void = () => undefined;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-editor-'));
    fs.mkdirSync(path.join(dir, 'drivers', 'x'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'drivers', 'x', 'pin.c'), TREE_C);
    fs.writeFileSync(path.join(dir, 'drivers', 'x', 'helper.c'), 'void x_helper(void) { }\n');
    fs.writeFileSync(path.join(dir, 'drivers', 'x', 'xfill.c'), XFILL);
    fs.writeFileSync(path.join(dir, 'drivers', 'x', 'xfree.c'), XFREE);
    c = await LspClient.start({}, { rootUri: null, workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'tree' }] });
    c.conn.onNotification('pinlens/indexing', (p: { folder: string; indexing: boolean; files?: number }) => { indexing.push(p); if (!p.indexing) indexed(); });
  });
  after(() => { c?.kill(); fs.rmSync(dir, { recursive: true, force: true }); });

  it('edits the + lines and the hunk header, and the fixed patch applies without the leak', async () => {
    const file = path.join(dir, '0001-x-add-x_fill.patch');
    const uri = pathToFileURL(file).href;
    fs.writeFileSync(file, ADD_FILL);
    await c.open(uri, ADD_FILL, 1, 'diff');
    const ds = await c.version(uri, 1);
    const leak = code(ds, 'leaked-pages');
    assert.strictEqual(leak.length, 1, JSON.stringify(ds, null, 1));
    const actions = await c.codeActions(uri, leak);
    const fix = actions.find(a => a.title === 'Release pages with unpin_user_pages() before this return');
    assert.ok(fix, JSON.stringify(actions.map(a => a.title)));
    const fixed = apply(ADD_FILL, fix!, uri);
    assert.ok(fixed.includes('@@ -10,3 +10,17 @@'), fixed);
    assert.ok(fixed.includes('+\tif (got != n) {\n+\t\tunpin_user_pages(pages, got);\n+\t\treturn -EFAULT;\n+\t}\n+\treturn 0;\n'), fixed);
    await c.change(uri, 2, [{ text: fixed }]);
    const after = await c.version(uri, 2);
    assert.deepStrictEqual(after.filter(d => d.severity! <= 2).map(d => d.message), []);
  });

  it('tells the client while the folder is indexed, and logs what it analysed', async () => {
    const file = path.join(dir, 'drivers', 'x', 'pin.c');
    const uri = pathToFileURL(file).href;
    // the folder's one scan: started by this document, or already by the patch document above (patch documents wait for their folder's index)
    const done = new Promise<void>((resolve, reject) => {
      if (indexing.some(p => !p.indexing)) { resolve(); return; }
      const timer = setTimeout(() => reject(new Error(`no end of indexing: ${JSON.stringify(indexing)}`)), 15000);
      indexed = () => { clearTimeout(timer); resolve(); };
    });
    await c.open(uri, TREE_C);
    await c.version(uri, 1);
    await done;
    assert.deepStrictEqual(indexing.map(p => p.indexing), [true, false], JSON.stringify(indexing));
    assert.strictEqual(indexing[1].folder, dir);
    assert.ok((indexing[1].files ?? 0) >= 2, JSON.stringify(indexing));
    const logs = c.logs.join('\n');
    assert.match(logs, new RegExp(`indexed ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} in \\d+ ms: \\d+ C files`), logs);
    assert.match(logs, /analysed file:\/\/\S+pin\.c v1 in [\d.]+ ms: 1 function, 1 call site, 0 findings; (?:no helpers from other files yet|\d+ helper summar)/, logs);
  });

  it('names the bad release of a call site\'s pages in another open file of the folder on its lens', async () => {
    const free = pathToFileURL(path.join(dir, 'drivers', 'x', 'xfree.c')).href;
    const fill = pathToFileURL(path.join(dir, 'drivers', 'x', 'xfill.c')).href;
    await c.open(free, XFREE);
    // the teardown is judged once the folder's other files say how the field is filled
    const put = lineOf(XFREE, 'put_page(b->pages[i])');
    await c.diagnostics(free, p => p.diagnostics.some(d => d.code === 'mismatched-release' && d.range.start.line === put));
    await c.open(fill, XFILL);
    await c.version(fill, 1);
    const lens = (await c.codeLens(fill)).find(l => l.command?.command === 'pinlens.showSimulation');
    assert.ok(lens, 'a lens on the acquire');
    assert.match(lens!.command!.title, new RegExp(`^FOLL_PIN · bad release at xfree\\.c:${put + 1}`));
    // closed, the other file is not looked at
    await c.close(free);
    const alone = (await c.codeLens(fill)).find(l => l.command?.command === 'pinlens.showSimulation');
    assert.doesNotMatch(alone!.command!.title, /xfree/);
  });
});
