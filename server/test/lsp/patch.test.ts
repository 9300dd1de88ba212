// Patch documents in the language server, over stdio with the built server:
// the series example against its tree (findings on the patch's lines, marked
// introduced; a lens per patch and per hunk; hovers), a patch with no tree
// (partial analysis of the hunks), and patches that cannot be checked.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { LspClient, ROOT } from './harness';

const EXAMPLE = path.join(ROOT, 'examples', 'patches');
const SERIES = path.join(EXAMPLE, 'series.mbox');

const PIN_C = `#include <linux/mm.h>

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

/** Adds x_write(), which pins and then put_page()s: a mismatched release on a `+` line. */
const ADD_WRITE = `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Ada Reviewer <ada@example.org>
Date: Mon, 4 Mar 2024 10:01:00 +0000
Subject: [PATCH 1/1] x: add x_write()

Signed-off-by: Ada Reviewer <ada@example.org>
---
 drivers/x/pin.c | 12 ++++++++++++
 1 file changed, 12 insertions(+)

diff --git a/drivers/x/pin.c b/drivers/x/pin.c
index 1111111..2222222 100644
--- a/drivers/x/pin.c
+++ b/drivers/x/pin.c
@@ -10,3 +10,15 @@ int x_read(unsigned long uaddr, struct page **pages, int n)
 	unpin_user_pages(pages, got);
 	return 0;
 }
+
+int x_write(unsigned long uaddr, struct page **pages, int n)
+{
+	int got, i;
+
+	got = pin_user_pages_fast(uaddr, n, 0, pages);
+	if (got <= 0)
+		return got;
+	for (i = 0; i < got; i++)
+		put_page(pages[i]);
+	return 0;
+}
-- 
2.43.0
`;

const QUOTED = `From: Bob <bob@example.org>
Subject: Re: [PATCH 1/1] x: add x_write()

On Mon, Ada wrote:
> diff --git a/drivers/x/pin.c b/drivers/x/pin.c
> --- a/drivers/x/pin.c
> +++ b/drivers/x/pin.c
> @@ -10,3 +10,15 @@ int x_read(unsigned long uaddr, struct page **pages, int n)
>  	unpin_user_pages(pages, got);

This looks wrong.
`;

const lines = (text: string) => text.split('\n');
const lineOf = (text: string, needle: string, from = 0) => {
  const i = lines(text).findIndex((l, k) => k >= from && l.includes(needle));
  assert.ok(i >= 0, `no line with ${JSON.stringify(needle)}`);
  return i;
};
/** Diagnostic.message may be MarkupContent in LSP 3.18 types; the server sends strings. */
const msg = (d: Diagnostic): string => (typeof d.message === 'string' ? d.message : d.message.value);
const pinlens = (ds: Diagnostic[]) => ds.filter(d => d.source === 'pinlens');

function tempTree(): { dir: string; tree: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-patch-'));
  const tree = path.join(dir, 'tree');
  fs.mkdirSync(path.join(tree, 'drivers', 'x'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'drivers', 'x', 'pin.c'), PIN_C);
  return { dir, tree };
}

describe('lsp: patch documents', () => {
  describe('the example series against its tree', () => {
    let c: LspClient;
    const text = fs.readFileSync(SERIES, 'utf8');
    const uri = pathToFileURL(SERIES).href;
    let published: PublishDiagnosticsParams;
    before(async () => {
      c = await LspClient.start({}, { rootUri: pathToFileURL(path.join(EXAMPLE, 'tree')).href });
      await c.open(uri, text, 1, 'pinlens-patch');
      published = await c.diagnostics(uri, p => p.version === 1);
    });
    after(() => c?.kill());

    it('puts the introduced mismatched-release of 4/4 on the patch, next to the error path it leaves behind', () => {
      const ds = pinlens(published.diagnostics).filter(d => d.code === 'mismatched-release');
      assert.strictEqual(ds.length, 1, JSON.stringify(published.diagnostics, null, 1));
      const d = ds[0];
      assert.match(msg(d), /^\(introduced\) put_page\(\) releases pages from iov_iter_extract_pages\(\)/);
      // line 108 of the file is not in 4/4's hunks: the nearest line shown is its `out_put:` label
      assert.match(msg(d), /drivers\/block\/xdev\/xdev-dio\.c:108/);
      const p4 = lineOf(text, 'Subject: [PATCH v3 4/4]');
      assert.ok(d.range.start.line > p4, `on 4/4 (line ${d.range.start.line})`);
      assert.strictEqual(lines(text)[d.range.start.line], ' out_put:');
      assert.strictEqual(d.severity, 1);
      assert.match(d.codeDescription!.href, /\/docs\/codes\/mismatched-release\.md$/);
      const extract = lineOf(text, '+	bytes = iov_iter_extract_pages(', p4);
      assert.ok(d.relatedInformation?.some(r => r.location.uri === uri && r.location.range.start.line === extract),
        `related information points at the + line of the acquire: ${JSON.stringify(d.relatedInformation)}`);
      assert.strictEqual(pinlens(published.diagnostics).filter(x => x.severity === 1).length, 1, 'nothing else is an error');
    });

    it('puts one lens per patch on its Subject line and one per hunk header', async () => {
      const lenses = await c.codeLens(uri);
      const subjects = lines(text).flatMap((l, i) => (/^Subject: \[PATCH v3 [1-4]\/4\]/.test(l) ? [i] : []));
      const perPatch = lenses.filter(l => subjects.includes(l.range.start.line));
      assert.strictEqual(perPatch.length, 4, JSON.stringify(lenses, null, 1));
      const p4 = perPatch.find(l => l.range.start.line === subjects[3])!;
      assert.match(p4.command!.title, /^\[PATCH v3 4\/4\] · 1 finding introduced · iov_iter_get_pages2 → iov_iter_extract_pages in xdev_dio_write_sync\(\)/);
      assert.match(perPatch[1].command!.title, /^\[PATCH v3 2\/4\] · 0 findings introduced · /);
      const headers = lines(text).flatMap((l, i) => (l.startsWith('@@ ') ? [i] : []));
      const perHunk = lenses.filter(l => headers.includes(l.range.start.line));
      assert.strictEqual(perHunk.length, headers.length, JSON.stringify(lenses, null, 1));
      const h4 = perHunk.find(l => l.range.start.line === lineOf(text, '@@ -76,13 +76,14 @@'))!;
      assert.match(h4.command!.title, /^xdev_dio_write_sync\(\): converts iov_iter_get_pages2 → iov_iter_extract_pages \(GET → EXTRACT\)/);
      assert.match(h4.command!.title, /1 release left behind: put_page at xdev-dio\.c:108/);
    });

    it('hovers the finding on the patch line as in C files', async () => {
      const d = pinlens(published.diagnostics).find(x => x.code === 'mismatched-release')!;
      const h = await c.hover(uri, { line: d.range.start.line, character: 2 });
      const md = (h?.contents as { value: string }).value;
      assert.match(md, /introduced/);
      assert.match(md, /\*\*pinlens: mismatched-release\*\*/);
      assert.match(md, /iov_iter_extract_pages/);
    });
  });

  describe('a patch with its tree in a temporary folder', () => {
    let c: LspClient;
    let t: { dir: string; tree: string };
    before(async () => {
      t = tempTree();
      c = await LspClient.start({}, { rootUri: null, workspaceFolders: [{ uri: pathToFileURL(t.tree).href, name: 'tree' }] });
    });
    after(() => { c?.kill(); fs.rmSync(t.dir, { recursive: true, force: true }); });

    it('maps an introduced finding to the + line that makes it', async () => {
      const file = path.join(t.tree, '0001-x-add-x_write.patch');
      fs.writeFileSync(file, ADD_WRITE);
      const uri = pathToFileURL(file).href;
      await c.open(uri, ADD_WRITE, 1, 'diff');
      const ds = pinlens(await c.version(uri, 1));
      const d = ds.find(x => x.code === 'mismatched-release');
      assert.ok(d, JSON.stringify(ds, null, 1));
      assert.strictEqual(d!.range.start.line, lineOf(ADD_WRITE, '+		put_page(pages[i]);'));
      assert.strictEqual(ADD_WRITE.split('\n')[d!.range.start.line].slice(d!.range.start.character, d!.range.end.character).startsWith('put_page'), true);
      assert.match(msg(d!), /^\(introduced\) /);
      assert.ok(!ds.some(x => /partial/.test(msg(x))), 'the tree was found');
      const acquire = lineOf(ADD_WRITE, '+	got = pin_user_pages_fast(uaddr, n, 0, pages);');
      assert.ok(d!.relatedInformation?.some(r => r.location.range.start.line === acquire), JSON.stringify(d!.relatedInformation));
    });

    it('gives one error diagnostic on the hunk that does not apply', async () => {
      // every context line differs from the tree: no fuzz makes it fit
      const broken = ADD_WRITE.replace(' \tunpin_user_pages(pages, got);\n \treturn 0;\n }\n', ' \tunpin_user_pages(pages, nr);\n \treturn nr;\n };\n');
      const file = path.join(t.tree, 'broken.patch');
      const uri = pathToFileURL(file).href;
      await c.open(uri, broken, 1, 'plaintext');
      const ds = pinlens(await c.version(uri, 1));
      assert.strictEqual(ds.length, 1, JSON.stringify(ds, null, 1));
      assert.strictEqual(ds[0].severity, 1);
      assert.strictEqual(ds[0].range.start.line, lineOf(broken, '@@ -10,3 +10,15 @@'), JSON.stringify(ds));
      assert.match(msg(ds[0]), /does not apply: drivers\/x\/pin\.c: hunk 1 of 1/);
    });

    it('follows edits: fixing the release clears the finding', async () => {
      const file = path.join(t.tree, 'edit.patch');
      const uri = pathToFileURL(file).href;
      await c.open(uri, ADD_WRITE, 1, 'diff');
      assert.ok(pinlens(await c.version(uri, 1)).some(d => d.code === 'mismatched-release'));
      const at = lineOf(ADD_WRITE, '+		put_page(pages[i]);');
      await c.change(uri, 2, [{ range: { start: { line: at, character: 3 }, end: { line: at, character: 20 } }, text: 'unpin_user_page(pages[i]);' }]);
      const ds = pinlens(await c.version(uri, 2));
      assert.ok(!ds.some(d => d.code === 'mismatched-release'), JSON.stringify(ds, null, 1));
    });
  });

  it('says what a patch fixes on the header of the hunk that fixes it', async () => {
    const dir = path.join(ROOT, 'server', 'test', 'patch-fixtures', 'fix-leak');
    const file = path.join(dir, '0001-udma-unpin-a-short-pin.patch');
    const text = fs.readFileSync(file, 'utf8');
    const c = await LspClient.start({}, { rootUri: pathToFileURL(path.join(dir, 'tree')).href });
    try {
      const uri = pathToFileURL(file).href;
      await c.open(uri, text, 1, 'diff');
      const ds = pinlens(await c.version(uri, 1));
      assert.strictEqual(ds.length, 1, JSON.stringify(ds, null, 1));
      assert.strictEqual(ds[0].severity, 3);
      assert.match(msg(ds[0]), /^fixes: leaked-pages in udma_write_user\(\)/);
      assert.ok(lines(text)[ds[0].range.start.line].startsWith('@@ '), `on a hunk header: ${ds[0].range.start.line}`);
      const lenses = await c.codeLens(uri);
      assert.ok(lenses.some(l => l.range.start.line === ds[0].range.start.line && /fixes leaked-pages/.test(l.command!.title)), JSON.stringify(lenses));
    } finally {
      c.kill();
    }
  });

  describe('without a tree', () => {
    let c: LspClient;
    let dir: string;
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-notree-'));
      c = await LspClient.start({}, { rootUri: pathToFileURL(dir).href });
    });
    after(() => { c?.kill(); fs.rmSync(dir, { recursive: true, force: true }); });

    it('analyses what the hunks show and says that it is partial', async () => {
      const file = path.join(dir, 'add.patch');
      const uri = pathToFileURL(file).href;
      await c.open(uri, ADD_WRITE, 1, 'diff');
      const ds = pinlens(await c.version(uri, 1));
      const note = ds.filter(d => d.range.start.line === 0 && /partial/.test(msg(d)));
      assert.strictEqual(note.length, 1, JSON.stringify(ds, null, 1));
      assert.strictEqual(note[0].severity, 3);
      const d = ds.find(x => x.code === 'mismatched-release');
      assert.ok(d, JSON.stringify(ds, null, 1));
      assert.strictEqual(d!.range.start.line, lineOf(ADD_WRITE, '+		put_page(pages[i]);'));
      const lenses = await c.codeLens(uri);
      assert.ok(lenses.some(l => l.range.start.line === lineOf(ADD_WRITE, 'Subject:') && /partial/.test(l.command!.title)), JSON.stringify(lenses));
      const h = await c.hover(uri, { line: d!.range.start.line, character: 4 });
      assert.match((h?.contents as { value: string }).value, /mismatched-release/);
    });

    it('refuses a reply that quotes the patch, with one error on the quoted diff', async () => {
      const uri = pathToFileURL(path.join(dir, 'reply.eml')).href;
      await c.open(uri, QUOTED, 1, 'plaintext');
      const ds = pinlens(await c.version(uri, 1));
      assert.strictEqual(ds.length, 1, JSON.stringify(ds, null, 1));
      assert.strictEqual(ds[0].severity, 1);
      assert.strictEqual(ds[0].range.start.line, lineOf(QUOTED, '> diff --git'));
      assert.match(msg(ds[0]), /quotes a patch with '>'/);
    });

    it('survives arbitrary text in a .diff and clears diagnostics on close', async () => {
      const uri = pathToFileURL(path.join(dir, 'junk.diff')).href;
      await c.open(uri, '@@ -1,2 +1,2 @@\n+\u0000garbage\n--- \n+++ \n@@ @@\n', 1, 'diff');
      const ds = await c.version(uri, 1);
      assert.ok(ds.length <= 2, JSON.stringify(ds));
      const cleared = c.nextDiagnostics(uri, p => p.diagnostics.length === 0);
      await c.close(uri);
      await cleared;
    });
  });
});
