// The server uses helpers defined in other files of the workspace folder:
// a release helper in another file that put_page()s pinned pages makes the
// call site a mismatched-release, naming the helper.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { LspClient } from './harness';

const TREE = path.join(__dirname, '..', 'index', 'trees', 'basic');

describe('lsp: workspace index (helpers in other files)', function () {
  this.timeout(60_000);
  let client: LspClient;
  let cache: string;
  before(async () => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-lsp-cache-'));
    process.env.XDG_CACHE_HOME = cache;
    client = await LspClient.start({}, { rootUri: pathToFileURL(TREE).href });
  });
  after(async () => {
    await client.stop();
    fs.rmSync(cache, { recursive: true, force: true });
  });

  it('reports the mismatch through a helper defined in another file, once the folder is scanned (off the main thread)', async () => {
    const file = path.join(TREE, 'drivers', 'xdev', 'xdev_main.c');
    const uri = pathToFileURL(file).href;
    const text = fs.readFileSync(file, 'utf8');
    // the first publish may come before the folder's scan; the next ones know the helpers
    const viaHelper = (p: { diagnostics: { message: unknown }[] }) => p.diagnostics.some(x => /xdev_drop_pages/.test(String(x.message)));
    const diags = client.diagnostics(uri, p => p.version === 1 && viaHelper(p)).then(p => p.diagnostics);
    await client.open(uri, text, 1);
    const d = (await diags).filter(x => x.code === 'mismatched-release');
    // the folder's scan was reported as work in progress, begun and ended
    assert.deepStrictEqual(client.progress.filter(p => p.kind === 'begin').map(p => [p.title, p.message]), [['pinlens: indexing', 'basic']]);
    assert.ok(client.progress.some(p => p.kind === 'end'), JSON.stringify(client.progress));
    assert.ok(d.length >= 1, 'a mismatched-release through the helper');
    assert.ok(d.some(x => /xdev_drop_pages/.test(String(x.message))), d.map(x => String(x.message)).join(' / '));
  });

  it('a helper edited and saved updates the findings of its open callers', async () => {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-lsp-save-'));
    const other = await LspClient.start({}, { rootUri: pathToFileURL(tree).href });
    try {
      fs.cpSync(TREE, tree, { recursive: true });
      const main = path.join(tree, 'drivers', 'xdev', 'xdev_main.c');
      const helper = path.join(tree, 'drivers', 'xdev', 'xdev_pages.c');
      const mainUri = pathToFileURL(main).href, helperUri = pathToFileURL(helper).href;
      const helperText = fs.readFileSync(helper, 'utf8');
      const first = other.diagnostics(mainUri, p => p.diagnostics.some(d => d.code === 'mismatched-release' && /xdev_drop_pages/.test(String(d.message))));
      await other.open(mainUri, fs.readFileSync(main, 'utf8'), 1);
      await first;
      // the helper, open in another tab: fixed, written and saved
      await other.open(helperUri, helperText, 1);
      await other.version(helperUri, 1);
      const fixed = helperText.replace(/put_page\(pages\[i\]\);\n}\n\nvoid xdev_unpin_all/, 'unpin_user_page(pages[i]);\n}\n\nvoid xdev_unpin_all');
      assert.notStrictEqual(fixed, helperText);
      await other.change(helperUri, 2, [{ text: fixed }]);
      fs.writeFileSync(helper, fixed);
      const again = other.nextDiagnostics(mainUri);
      await other.conn.sendNotification('textDocument/didSave', { textDocument: { uri: helperUri } });
      const after = (await again).diagnostics;
      assert.deepStrictEqual(after.filter(d => /xdev_drop_pages/.test(String(d.message))), []);
      assert.ok(after.some(d => /xdev_release/.test(String(d.message))), 'the other helper\'s finding stays');
    } finally {
      await other.stop();
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });

  it('follows C files changed or created outside the editor (a checkout): summaries again, and a new scan for new files', async () => {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-lsp-watch-'));
    const other = await LspClient.start({}, { rootUri: pathToFileURL(tree).href });
    try {
      fs.cpSync(TREE, tree, { recursive: true });
      const main = path.join(tree, 'drivers', 'xdev', 'xdev_main.c');
      const helper = path.join(tree, 'drivers', 'xdev', 'xdev_pages.c');
      const mainUri = pathToFileURL(main).href;
      const viaDrop = (ds: { message: unknown }[]) => ds.some(d => /xdev_drop_pages/.test(String(d.message)));
      const first = other.diagnostics(mainUri, p => viaDrop(p.diagnostics));
      await other.open(mainUri, fs.readFileSync(main, 'utf8'), 1);
      await first;
      // the helper is fixed on disk, not in the editor
      fs.writeFileSync(helper, fs.readFileSync(helper, 'utf8').replace(/put_page\(pages\[i\]\);\n}\n\nvoid xdev_unpin_all/, 'unpin_user_page(pages[i]);\n}\n\nvoid xdev_unpin_all'));
      const fixed = other.nextDiagnostics(mainUri, p => !viaDrop(p.diagnostics));
      await other.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(helper).href, type: 2 }] });
      await fixed;
      // the document now calls a helper of a file that does not exist yet
      const text = fs.readFileSync(main, 'utf8').replace('xdev_drop_pages(pages, ret);', 'xdev_drop_more(pages, ret);');
      const unknown = other.version(mainUri, 2);
      await other.change(mainUri, 2, [{ text }]);
      assert.ok(!(await unknown).some(d => /xdev_drop_more/.test(String(d.message))));
      const extra = path.join(tree, 'drivers', 'xdev', 'xdev_more.c');
      fs.writeFileSync(extra, '#include <linux/mm.h>\n\nvoid xdev_drop_more(struct page **pages, int nr)\n{\n\tint i;\n\n\tfor (i = 0; i < nr; i++)\n\t\tput_page(pages[i]);\n}\n');
      const found = other.nextDiagnostics(mainUri, p => p.diagnostics.some(d => /xdev_drop_more/.test(String(d.message))));
      await other.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(extra).href, type: 1 }] });
      await found;
      // a helper defined anew in a file that already existed (changed, not created) is found too
      const text3 = text.replace('xdev_drop_more(pages, ret);', 'xdev_drop_again(pages, ret);');
      await other.change(mainUri, 3, [{ text: text3 }]);
      fs.appendFileSync(helper, '\nvoid xdev_drop_again(struct page **pages, int nr)\n{\n\tint i;\n\n\tfor (i = 0; i < nr; i++)\n\t\tput_page(pages[i]);\n}\n');
      const again = other.nextDiagnostics(mainUri, p => p.diagnostics.some(d => /xdev_drop_again/.test(String(d.message))));
      await other.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(helper).href, type: 2 }] });
      await again;
    } finally {
      await other.stop();
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });

  it('judges a document by the API era of its tree\'s Makefile', async () => {
    // outside the workspace folder: no index, only the era matters
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-lsp-era-'));
    try {
      fs.writeFileSync(path.join(tree, 'Makefile'), 'VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n');
      fs.mkdirSync(path.join(tree, 'drivers'));
      const file = path.join(tree, 'drivers', 'g.c');
      const text = 'int g(unsigned long a, int n, struct page **pages)\n{\n\tint ret;\n\n\tret = pin_user_pages_unlocked(a, n, pages, FOLL_WRITE | FOLL_LONGTERM);\n\tif (ret > 0)\n\t\tunpin_user_pages(pages, ret);\n\treturn ret;\n}\n';
      fs.writeFileSync(file, text);
      const uri = pathToFileURL(file).href;
      const diags = client.version(uri, 1);
      await client.open(uri, text, 1);
      assert.deepStrictEqual((await diags).map(d => [d.code, d.range.start.line]), [['invalid-gup-flags', 4]]);
    } finally {
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });
});
