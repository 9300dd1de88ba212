// Layer 1 of core/patch/ (mail.ts): inputs → the patches of a series. No analysis.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { decodeHeaderWords, decodeQuotedPrintable, parseSeries, parseSubject } from '../../src/core/patch/mail';

const FIX = path.join(__dirname, '..', 'patch-fixtures');
const read = (rel: string) => ({ name: path.basename(rel), text: fs.readFileSync(path.join(FIX, rel), 'utf8') });

const DIFF = `diff --git a/drivers/x.c b/drivers/x.c
index 1111111..2222222 100644
--- a/drivers/x.c
+++ b/drivers/x.c
@@ -1,3 +1,3 @@
 int a;
-int b;
+int c;
 int d;
`;

describe('patch: mail and series parsing', () => {
  it('reads the subject tag of a series patch', () => {
    assert.deepStrictEqual(parseSubject('[PATCH v8 03/10] iov_iter: Add a function to extract a page list'), {
      tag: { raw: 'PATCH v8 03/10', version: 8, number: 3, total: 10, rfc: false },
      title: 'iov_iter: Add a function to extract a page list', reply: false,
    });
    const rfc = parseSubject('Re: [RFC PATCH net-next 2/3] foo: bar');
    assert.strictEqual(rfc.reply, true);
    assert.strictEqual(rfc.tag?.rfc, true);
    assert.strictEqual(rfc.tag?.number, 2);
    assert.strictEqual(parseSubject('plain subject').tag, undefined);
  });

  it('splits an mbox, skips the cover letter and keeps the order and the full subjects', () => {
    const s = parseSeries([read('mbox-series/series.mbox')]);
    assert.deepStrictEqual(s.problems, []);
    assert.deepStrictEqual(s.patches.map((p) => p.subject), [
      '[PATCH v2 1/3] udma: factor out udma_put_pages()',
      '[PATCH v2 2/3] udma: pin user buffers with pin_user_pages_fast()',
      '[PATCH v2 3/3] udma: unpin a short pin in udma_write_user()',
    ]);
    assert.deepStrictEqual(s.patches.map((p) => p.index), [0, 1, 2]);
    assert.deepStrictEqual(s.patches.map((p) => p.tag?.number), [1, 2, 3]);
    assert.ok(s.notes.some((n) => n.includes('skipped cover letter "[PATCH v2 0/3] udma: pin user buffers"')));
    assert.strictEqual(s.patches[0].files[0].newPath, 'drivers/misc/udma/udma.c');
    assert.match(s.patches[0].description, /^Both directions release/);
    assert.strictEqual(s.patches[0].from, 'Ada Reviewer <ada@example.org>');
  });

  it('unfolds folded Subject headers', () => {
    const s = parseSeries([{ name: 'series.mbox', text: fs.readFileSync(path.join(__dirname, '..', '..', '..', 'examples', 'patches', 'series.mbox'), 'utf8') }]);
    assert.strictEqual(s.patches[3].subject, '[PATCH v3 4/4] xdev: Convert xdev_dio_write_sync() to iov_iter_extract_pages()');
  });

  it('reads a format-patch file: signature and diffstat are not part of the diff', () => {
    const s = parseSeries([read('convert-ok/0001-udma-convert-to-pin_user_pages_fast.patch')]);
    assert.deepStrictEqual(s.problems, []);
    const f = s.patches[0].files[0];
    assert.strictEqual(f.status, 'modified');
    assert.strictEqual(f.hunks.length, 4);
    assert.strictEqual(f.hunks[0].header, '@@ -52,13 +52,13 @@ int udma_write_user(struct udma_dev *ud, unsigned long uaddr, size_t len)');
    // the hunk header's line in the input, for editors
    const lines = read('convert-ok/0001-udma-convert-to-pin_user_pages_fast.patch').text.split('\n');
    assert.strictEqual(lines[f.hunks[2].inputLine!], f.hunks[2].header);
  });

  it('reads a mail with CRLF line ends', () => {
    const crlf = read('crlf-mail/crlf.eml');
    assert.ok(crlf.text.includes('\r\n'), 'the fixture must keep its CRLF line ends');
    const s = parseSeries([crlf]);
    assert.deepStrictEqual(s.problems, []);
    assert.strictEqual(s.patches[0].subject, '[PATCH] udma: convert to pin_user_pages_fast()');
    assert.ok(s.patches[0].files[0].hunks.every((h) => h.lines.every((l) => !l.endsWith('\r'))));
    assert.ok(s.notes.some((n) => n.includes('CRLF')));
  });

  it('decodes a quoted-printable body and RFC 2047 headers', () => {
    const qp = read('qp-body/qp.eml');
    assert.ok(qp.text.includes('=3D') && /=\n/.test(qp.text), 'the fixture must be quoted-printable');
    const s = parseSeries([qp]);
    assert.deepStrictEqual(s.problems, []);
    const p = s.patches[0];
    assert.strictEqual(p.subject, '[PATCH] udma: convert to pin_user_pages_fast()');
    assert.strictEqual(p.from, 'Jörg Rückert <joerg@example.org>');
    assert.match(p.description, /The device – Jörg’s board – reads and writes the user buffer/);
    const h = p.files[0].hunks[0];
    assert.ok(h.lines.includes('-\tpinned = get_user_pages_fast(uaddr, nr_pages, 0, pages);'));
    assert.strictEqual(h.inputLine, undefined, 'a decoded body has no input lines');
  });

  it('decodes quoted-printable and encoded words on their own', () => {
    assert.strictEqual(decodeQuotedPrintable('a =3D b;=20\nc=\nd'), 'a = b; \ncd');
    assert.strictEqual(decodeQuotedPrintable('caf=C3=A9'), 'café');
    assert.strictEqual(decodeHeaderWords('=?UTF-8?q?a=5Fb_c?= =?utf-8?B?w6k=?='), 'a_b cé');
    assert.strictEqual(decodeHeaderWords('=?iso-8859-1?q?J=F6rg?='), 'Jörg');
  });

  it('refuses a reply that quotes a patch with ">"', () => {
    const s = parseSeries([read('quoted-reply/reply.eml')]);
    assert.strictEqual(s.patches.length, 0);
    assert.strictEqual(s.problems.length, 1);
    assert.strictEqual(s.problems[0].kind, 'quoted-patch');
    assert.strictEqual(s.problems[0].patch, 'Re: [PATCH] udma: convert to pin_user_pages_fast()');
    assert.match(s.problems[0].message, /quotes a patch with '>' \(a reply, not a patch\)/);
  });

  it('skips a quoting reply with a note when the mbox also holds the patches', () => {
    const thread = read('mbox-series/series.mbox').text + '\n'
      + 'From reply@example.org Mon Mar  4 11:30:00 2024\n' + read('quoted-reply/reply.eml').text;
    const s = parseSeries([{ name: 'thread.mbox', text: thread }]);
    assert.deepStrictEqual(s.problems, []);
    assert.strictEqual(s.patches.length, 3);
    assert.ok(s.notes.some((n) => n.includes("a reply quoting a patch with '>'")));
  });

  it('reads a plain unified diff and names it after the input', () => {
    const s = parseSeries([{ name: 'fix.diff', text: DIFF }]);
    assert.deepStrictEqual(s.problems, []);
    assert.strictEqual(s.patches[0].subject, 'fix.diff');
    assert.strictEqual(s.patches[0].files[0].oldPath, 'drivers/x.c');
  });

  it('takes the subject of `git show` output from the message', () => {
    const show = 'commit 0123456789abcdef0123456789abcdef01234567\nAuthor: A <a@example.org>\nDate:   Mon Mar 4 10:00:00 2024 +0000\n\n    x: swap b for c\n\n' + DIFF;
    assert.strictEqual(parseSeries([{ name: 'show.txt', text: show }]).patches[0].subject, 'x: swap b for c');
  });

  it('reads the text parts of a multipart mail and a base64 body', () => {
    const b64 = Buffer.from(DIFF, 'utf8').toString('base64').replace(/(.{76})/g, '$1\n');
    const mail = ['From: A <a@example.org>', 'Subject: [PATCH] x: swap', 'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="XYZ"', '', 'preamble', '--XYZ', 'Content-Type: text/plain', '',
      'The message.', '--XYZ', 'Content-Type: text/x-patch; name="x.patch"', 'Content-Transfer-Encoding: base64', '',
      b64, '--XYZ--', ''].join('\n');
    const s = parseSeries([{ name: 'mp.eml', text: mail }]);
    assert.deepStrictEqual(s.problems, []);
    assert.strictEqual(s.patches[0].files[0].hunks[0].lines.join('|'), ' int a;|-int b;|+int c;| int d;');
  });

  it('strips a/ b/ and other first components like patch -p1, and refuses paths outside the tree', () => {
    const plain = DIFF.replace(/^diff --git.*\n|^index.*\n/gm, '').replace('--- a/', '--- linux.orig/').replace('+++ b/', '+++ linux/');
    assert.strictEqual(parseSeries([{ name: 'p', text: plain }]).patches[0].files[0].newPath, 'drivers/x.c');
    const evil = DIFF.replace(/drivers\/x\.c/g, '../../etc/x.c');
    const s = parseSeries([{ name: 'evil', text: evil }]);
    assert.strictEqual(s.problems[0]?.kind, 'unsafe-path');
  });

  it('reports a malformed hunk and an input with no patch', () => {
    const bad = DIFF.replace('@@ -1,3 +1,3 @@', '@@ -1,3 +1,9 @@');
    const s = parseSeries([{ name: 'bad.diff', text: bad }, { name: 'empty.txt', text: 'hello\n' }]);
    assert.deepStrictEqual(s.problems.map((p) => p.kind).sort(), ['malformed-diff', 'no-patch']);
  });

  it('keeps ">From " unescaping to mbox bodies', () => {
    const mbox = 'From x@example.org Mon Mar  4 10:00:00 2024\nFrom: x <x@example.org>\nSubject: [PATCH] a\n\n>From the start\n---\n' + DIFF;
    const s = parseSeries([{ name: 'a.mbox', text: mbox }]);
    assert.strictEqual(s.patches[0].description, 'From the start');
  });
});
