// Layers 2 and 3 of core/patch/ (diff.ts, apply.ts): applying a series in memory, where hunks
// land, changed line ranges, touched functions. No analysis.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseSeries } from '../../src/core/patch/mail';
import { applyHunks, applySeries, inputLineOf, lineChanges, requiredFiles } from '../../src/core/patch/apply';
import { findFunctionSpans, touchedFunctions } from '../../src/index/definitions';

const FIX = path.join(__dirname, '..', 'patch-fixtures');
const UDMA = 'drivers/misc/udma/udma.c';
const tree = (c: string) => fs.readFileSync(path.join(FIX, c, 'tree', UDMA), 'utf8');
const input = (rel: string) => ({ name: path.basename(rel), text: fs.readFileSync(path.join(FIX, rel), 'utf8') });
const CONVERT = 'convert-ok/0001-udma-convert-to-pin_user_pages_fast.patch';

function series(text: string) {
  const s = parseSeries([{ name: 'test.patch', text }]);
  assert.deepStrictEqual(s.problems, []);
  return s.patches;
}

describe('patch: applying a series in memory', () => {
  it('applies a format-patch at its lines and reports both sides of each change', () => {
    const patches = parseSeries([input(CONVERT)]).patches;
    assert.deepStrictEqual(requiredFiles(patches), [UDMA]);
    const r = applySeries(new Map([[UDMA, tree('convert-ok')]]), patches);
    assert.ok(r.ok);
    const fc = r.result.patches[0].files[0];
    assert.strictEqual(fc.status, 'modified');
    assert.deepStrictEqual(fc.hunks.map((h) => [h.offset, h.fuzz]), [[0, 0], [0, 0], [0, 0], [0, 0]]);
    const after = fc.after!.split('\n');
    assert.strictEqual(after[60], '\tpinned = pin_user_pages_fast(uaddr, nr_pages, 0, pages);');
    assert.ok(fc.changes.some((c) => c.post.start === 60 && c.post.end === 61 && c.pre.start === 60));
    // the post-image of a two-line → one-line release
    assert.ok(fc.changes.some((c) => c.pre.end - c.pre.start === 2 && c.post.end - c.post.start === 1));
    assert.strictEqual(r.result.final.get(UDMA), fc.after);
    assert.strictEqual(r.result.base.get(UDMA), tree('convert-ok'));
  });

  it('finds a hunk that moved, like git apply, and says by how much', () => {
    const moved = '// one\n// two\n// three\n// four\n// five\n' + tree('convert-ok');
    const r = applySeries(new Map([[UDMA, moved]]), parseSeries([input(CONVERT)]).patches);
    assert.ok(r.ok);
    const fc = r.result.patches[0].files[0];
    assert.deepStrictEqual(fc.hunks.map((h) => h.offset), [5, 5, 5, 5]);
    assert.strictEqual(fc.after!.split('\n')[65], '\tpinned = pin_user_pages_fast(uaddr, nr_pages, 0, pages);');
  });

  it('applies with fuzz when a context line changed, and only then', () => {
    // the last context line of the first hunk differs; lines next to the change must still match (jsdiff, like patch)
    const drifted = tree('convert-ok').replace('\t\tgoto out_free;', '\t\tgoto out_kvfree;');
    const patches = parseSeries([input(CONVERT)]).patches;
    const strict = applySeries(new Map([[UDMA, drifted]]), patches, { fuzz: 0 });
    assert.ok(!strict.ok);
    const r = applySeries(new Map([[UDMA, drifted]]), patches, { fuzz: 2 });
    assert.ok(r.ok);
    const fc = r.result.patches[0].files[0];
    assert.deepStrictEqual(fc.hunks.map((h) => [h.postLine, h.fuzz > 0]), [[51, true], [70, false], [80, false], [99, false]]);
    assert.ok(fc.after!.includes('goto out_kvfree;'), 'the drifted context stays as the tree has it');
    assert.strictEqual((fc.after!.match(/pin_user_pages_fast/g) ?? []).length, 2);
  });

  it('names the patch, file and hunk that does not apply', () => {
    const r = applySeries(new Map([[UDMA, tree('no-apply')]]), parseSeries([input('no-apply/0001-udma-convert-to-pin_user_pages_fast.patch')]).patches);
    assert.ok(!r.ok);
    assert.deepStrictEqual({ kind: r.problem.kind, file: r.problem.file, hunk: r.problem.hunk, patch: r.problem.patch }, {
      kind: 'hunk-failed', file: UDMA, patch: '[PATCH] udma: convert to pin_user_pages_fast()',
      hunk: '@@ -52,13 +52,13 @@ int udma_write_user(struct udma_dev *ud, unsigned long uaddr, size_t len)',
    });
    assert.match(r.problem.message, /does not apply: drivers\/misc\/udma\/udma\.c: hunk 1 of 4 \(@@ -52,13/);
  });

  it('applies a series in order, each patch on the one before; out of order it fails', () => {
    const patches = parseSeries([input('mbox-series/series.mbox')]).patches;
    const base = new Map([[UDMA, tree('mbox-series')]]);
    const r = applySeries(base, patches);
    assert.ok(r.ok);
    const [p1, p2, p3] = r.result.patches.map((p) => p.files[0]);
    assert.strictEqual(p2.before, p1.after);
    assert.strictEqual(p3.before, p2.after);
    assert.ok(p1.after!.includes('udma_put_pages') && !p2.after!.includes('udma_put_pages'));
    const swapped = applySeries(base, [patches[1], patches[0], patches[2]]);
    assert.ok(!swapped.ok);
    assert.strictEqual(swapped.problem.patch, '[PATCH v2 2/3] udma: pin user buffers with pin_user_pages_fast()');
  });

  it('creates, deletes and renames files', () => {
    const text = `diff --git a/drivers/new.c b/drivers/new.c
new file mode 100644
index 0000000..1111111
--- /dev/null
+++ b/drivers/new.c
@@ -0,0 +1,3 @@
+int f(void)
+{
+}
diff --git a/drivers/old.c b/drivers/old.c
deleted file mode 100644
index 2222222..0000000
--- a/drivers/old.c
+++ /dev/null
@@ -1,2 +0,0 @@
-int g;
-int h;
diff --git a/drivers/a.c b/drivers/b.c
similarity index 80%
rename from drivers/a.c
rename to drivers/b.c
index 3333333..4444444 100644
--- a/drivers/a.c
+++ b/drivers/b.c
@@ -1,2 +1,2 @@
 int x;
-int y;
+int z;
`;
    const patches = series(text);
    assert.deepStrictEqual(patches[0].files.map((f) => f.status), ['added', 'deleted', 'renamed']);
    assert.deepStrictEqual(requiredFiles(patches).sort(), ['drivers/a.c', 'drivers/old.c']);
    const r = applySeries(new Map([['drivers/old.c', 'int g;\nint h;\n'], ['drivers/a.c', 'int x;\nint y;\n']]), patches);
    assert.ok(r.ok);
    assert.deepStrictEqual([...r.result.final].sort(), [['drivers/b.c', 'int x;\nint z;\n'], ['drivers/new.c', 'int f(void)\n{\n}\n']]);
    assert.deepStrictEqual([...r.result.base.keys()].sort(), ['drivers/a.c', 'drivers/old.c']);
    const renamed = r.result.patches[0].files[2];
    assert.deepStrictEqual([renamed.path, renamed.oldPath], ['drivers/b.c', 'drivers/a.c']);
    const added = r.result.patches[0].files[0];
    assert.deepStrictEqual(added.changes, [{ pre: { start: 0, end: 0 }, post: { start: 0, end: 3 } }]);
  });

  it('refuses to create a file that exists and to patch one that does not', () => {
    const create = series('--- /dev/null\n+++ b/x.c\n@@ -0,0 +1 @@\n+int a;\n');
    const exists = applySeries(new Map([['x.c', 'int b;\n']]), create);
    assert.ok(!exists.ok && exists.problem.kind === 'file-exists');
    const missing = applySeries(new Map(), series('--- a/y.c\n+++ b/y.c\n@@ -1 +1 @@\n-int a;\n+int b;\n'));
    assert.ok(!missing.ok && missing.problem.kind === 'missing-file' && missing.problem.file === 'y.c');
  });

  it('lands later hunks after earlier ones even when their context repeats', () => {
    const text = 'a\nx\nb\nc\nx\nd\n';
    const r = applyHunks(text, [
      { header: '@@ -1,3 +1,3 @@', oldStart: 1, oldLines: 3, newStart: 1, newLines: 3, lines: [' a', '-x', '+y', ' b'] },
      { header: '@@ -4,3 +4,3 @@', oldStart: 4, oldLines: 3, newStart: 4, newLines: 3, lines: [' c', '-x', '+z', ' d'] },
    ], 0);
    assert.ok(r.ok);
    assert.strictEqual(r.text, 'a\ny\nb\nc\nz\nd\n');
  });

  it('handles "No newline at end of file"', () => {
    const patches = series('--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,2 @@\n int a;\n-int b;\n\\ No newline at end of file\n+int c;\n');
    const r = applySeries(new Map([['x.c', 'int a;\nint b;']]), patches);
    assert.ok(r.ok);
    assert.strictEqual(r.result.final.get('x.c'), 'int a;\nint c;\n');
  });

  it('keeps a CRLF file CRLF when the patch is LF', () => {
    const patches = series('--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,2 @@\n int a;\n-int b;\n+int c;\n');
    const r = applySeries(new Map([['x.c', 'int a;\r\nint b;\r\n']]), patches);
    assert.ok(r.ok);
    assert.strictEqual(r.result.final.get('x.c'), 'int a;\r\nint c;\r\n');
  });

  it('computes changed lines on both sides', () => {
    assert.deepStrictEqual(lineChanges('a\nb\nc\n', 'a\nB\nc\nd\n'), [
      { pre: { start: 1, end: 2 }, post: { start: 1, end: 2 } },
      { pre: { start: 3, end: 3 }, post: { start: 3, end: 4 } },
    ]);
    assert.deepStrictEqual(lineChanges('a\nb\n', 'a\nb\n'), []);
  });

  it('maps a post-image line back to its line in the patch file', () => {
    const inp = input(CONVERT);
    const r = applySeries(new Map([[UDMA, tree('convert-ok')]]), parseSeries([inp]).patches);
    assert.ok(r.ok);
    const at = inputLineOf(r.result.patches[0].files[0], 60);
    assert.strictEqual(inp.text.split('\n')[at!], '+\tpinned = pin_user_pages_fast(uaddr, nr_pages, 0, pages);');
    assert.strictEqual(inputLineOf(r.result.patches[0].files[0], 5), undefined);
  });

  it('finds kernel-style function definitions and the ones a change touches', () => {
    const text = [
      '#define X(a) do { } while (0)', // 0
      'static const struct ops o = {', // 1
      '\t.f = f,',
      '};',
      'static int __init udma_init(void)', // 4
      '{',
      '\tif (x) {',
      '\t\treturn "}";',
      '\t}',
      '\treturn 0;',
      '}', // 10
      '/* int fake(void) { } */',
      'struct s {',
      '\tint a;',
      '};',
      'int',
      'udma_exit(struct udma_dev *ud,', // 16
      '\t  int n)',
      '{',
      '}', // 19
    ].join('\n');
    const spans = findFunctionSpans(text);
    assert.deepStrictEqual(spans, [{ name: 'udma_init', start: 4, end: 10 }, { name: 'udma_exit', start: 15, end: 19 }]);
    assert.deepStrictEqual(touchedFunctions(spans, [{ start: 7, end: 8 }]), ['udma_init']);
    assert.deepStrictEqual(touchedFunctions(spans, [{ start: 16, end: 16 }]), ['udma_exit']);
    assert.deepStrictEqual(touchedFunctions(spans, [{ start: 11, end: 11 }, { start: 1, end: 3 }]), []);
  });

  it('counts continued #define lines and reads only the first branch of #if/#else', () => {
    const text = [
      '#define LOOP(x) \\', // 0
      '\tdo { \\',
      '\t} while (0)',
      'int f(void)', // 3
      '{',
      '#ifdef CONFIG_A',
      '\tif (a) {',
      '#else',
      '\tif (b) {',
      '#endif',
      '\t\tg();',
      '\t}',
      '}', // 12
      'int h(void)', // 13
      '{',
      '}', // 15
    ].join('\n');
    assert.deepStrictEqual(findFunctionSpans(text), [{ name: 'f', start: 3, end: 12 }, { name: 'h', start: 13, end: 15 }]);
  });
});
