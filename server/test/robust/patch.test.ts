// Malformed patches each get a sentence that names the file, the hunk and
// what is wrong (never "undefined"); absurd hunk line numbers are refused at
// once and starts past the end are searched from the end; a byte order mark
// is not part of the patch.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseSeries } from '../../src/core/patch/mail';
import { applyHunks, applySeries, requiredFiles } from '../../src/core/patch/apply';

const TREE = 'int a;\nint b;\nint c;\nint d;\nint e;\n';
const HUNK = '@@ -1,3 +1,3 @@\n int a;\n-int b;\n+int bb;\n int c;\n';

function problemOf(text: string): string {
  const s = parseSeries([{ name: 'p.patch', text }]);
  if (s.problems.length) return s.problems.map(p => p.message).join('\n');
  const r = applySeries(new Map([['x.c', TREE]]), s.patches);
  return r.ok ? '' : r.problem.message;
}

describe('robustness: malformed patches', () => {
  const shapes: [string, string, RegExp][] = [
    ['a hunk with no lines', '--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,3 @@\n', /x\.c: hunk 1 \(@@ -1,3 \+1,3 @@\) has no lines; its header promises 3 old and 3 new line\(s\)/],
    ['a file header with no hunk', '--- a/x.c\n+++ b/x.c\n', /x\.c: a file header with no hunk under it/],
    ['a git header alone', 'diff --git a/x.c b/x.c\n', /x\.c: a file header with no hunk under it/],
    ['counts larger than the lines', '--- a/x.c\n+++ b/x.c\n@@ -1,5 +1,5 @@\n int a;\n-int b;\n+int bb;\n', /x\.c: hunk 1 \(@@ -1,5 \+1,5 @@\) ends after 3 line\(s\), 3 old and 3 new line\(s\) short of its header/],
    ['counts smaller than the lines', '--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,2 @@\n int a;\n-int b;\n+int bb;\n int c;\n@@ -4,1 +4,1 @@\n-int d;\n+int dd;\n', /x\.c: hunk 1 \(@@ -1,2 \+1,2 @@\) has more lines than its header says/],
    ['no ---/+++ lines', HUNK, /hunk 1 \(@@ -1,3 \+1,3 @@\) has no '---'\/'\+\+\+' lines before it/],
    ['a --- line without +++', '--- a/x.c\n' + HUNK, /hunk 1 \(@@ -1,3 \+1,3 @@\) has no '---'\/'\+\+\+' lines before it/],
    ['a +++ line without ---', '+++ b/x.c\n' + HUNK, /hunk 1 \(@@ -1,3 \+1,3 @@\) has no '---'\/'\+\+\+' lines before it/],
    ['a truncated hunk', '--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,3 @@\n int a;\n-int b;\n', /x\.c: hunk 1 \(@@ -1,3 \+1,3 @@\) ends after 2 line\(s\), 1 old and 2 new line\(s\) short of its header .*cut short/],
    ['a huge start (2^32)', '--- a/x.c\n+++ b/x.c\n' + HUNK.replace('-1,3 +1,3', '-4294967296,3 +4294967296,3'), /x\.c: hunk 1 \(@@ -4294967296,3 \+4294967296,3 @@\) has line numbers past 100000000/],
    ['a huge start (2^53+1)', '--- a/x.c\n+++ b/x.c\n' + HUNK.replace('-1,3 +1,3', '-9007199254740993,3 +9007199254740993,3'), /has line numbers past 100000000/],
    ['a huge start (2^64)', '--- a/x.c\n+++ b/x.c\n' + HUNK.replace('-1,3 +1,3', '-18446744073709551616,3 +18446744073709551616,3'), /has line numbers past 100000000/],
    ['a start past the end whose lines are not in the file', '--- a/x.c\n+++ b/x.c\n@@ -900,2 +900,2 @@\n int q;\n-int r;\n+int s;\n', /x\.c: hunk 1 of 1 \(@@ -900,2 \+900,2 @@\) starts at line 900, past the end of the file \(5 lines\)/],
  ];
  for (const [what, text, want] of shapes) {
    it(`${what}: a specific message`, () => {
      const t = Date.now();
      const msg = problemOf(text);
      assert.match(msg, want);
      assert.doesNotMatch(msg, /undefined/);
      assert.ok(Date.now() - t < 2000);
    });
  }

  it('a binary patch is a note, not a silent nothing', () => {
    const bin = 'diff --git a/x.c b/x.c\nindex 1234567..89abcde 100644\nGIT binary patch\nliteral 5\nMcmZ?wbhG~d\n\nliteral 0\nHcmV?d00001\n\n';
    const s = parseSeries([{ name: 'p.patch', text: bin }]);
    assert.deepStrictEqual(s.problems, []);
    assert.strictEqual(s.patches[0].files[0].status, 'binary');
    const r = applySeries(new Map([['x.c', TREE]]), s.patches);
    assert.ok(r.ok);
    assert.match(r.result.notes.join('\n'), /binary change to x\.c not applied/);
  });

  it('searches a start past the end of the file from the end: found once, with its offset', () => {
    const s = parseSeries([{ name: 'p.patch', text: '--- a/x.c\n+++ b/x.c\n' + HUNK.replace('-1,3 +1,3', '-90000000,3 +90000000,3') }]);
    assert.deepStrictEqual(s.problems, []);
    const t = Date.now();
    const r = applyHunks(TREE, s.patches[0].files[0].hunks);
    assert.ok(r.ok && r.text === TREE.replace('int b;', 'int bb;'));
    assert.strictEqual(r.ok && r.hunks[0].offset, -89999999);
    assert.ok(Date.now() - t < 1000);
  });

  it('accepts a series with a UTF-8 byte order mark', () => {
    const file = path.join(__dirname, '..', '..', '..', 'examples', 'patches', 'series.mbox');
    const text = fs.readFileSync(file, 'utf8');
    const plain = parseSeries([{ name: 'series.mbox', text }]);
    const bom = parseSeries([{ name: 'series.mbox', text: '\uFEFF' + text }]);
    assert.deepStrictEqual(bom.problems, []);
    assert.ok(bom.patches.length > 1);
    assert.deepStrictEqual(bom.patches.map(p => [p.subject, p.files]), plain.patches.map(p => [p.subject, p.files]));
    assert.deepStrictEqual(requiredFiles(bom.patches), requiredFiles(plain.patches));
    // and a plain diff with one
    assert.strictEqual(problemOf('\uFEFF--- a/x.c\n+++ b/x.c\n' + HUNK), '');
  });
});
