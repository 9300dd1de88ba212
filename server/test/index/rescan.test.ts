// The definition scan read again for the files an editor says changed, came
// or went (no listing of the tree): it must answer like a full scan.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { definers, rescanFiles, scanTree } from '../../src/index/scan';

const TREE = path.join(__dirname, 'trees', 'basic');

describe('index: a scan read again for changed files', () => {
  let tree: string;
  beforeEach(() => { tree = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-rescan-')); fs.cpSync(TREE, tree, { recursive: true }); });
  afterEach(() => fs.rmSync(tree, { recursive: true, force: true }));

  const names = ['xdev_drop_pages', 'xdev_unpin_all', 'vbuf_put_pages', 'xdev_new_helper', 'lib_new_helper', 'arch_flush'];
  const answers = (s: ReturnType<typeof scanTree>) => names.map(n => [n, definers(s, n).map(f => path.relative(tree, f)).sort()]);

  it('answers like a full scan after a file changed, one was created and one deleted', () => {
    const before = scanTree(tree);
    const pages = path.join(tree, 'drivers', 'xdev', 'xdev_pages.c');
    const text = fs.readFileSync(pages, 'utf8');
    assert.ok(definers(before, 'xdev_drop_pages').length > 0, 'the fixture defines xdev_drop_pages');
    // a definition renamed, a file created, a file deleted, a file in a folder the scan skips
    fs.writeFileSync(pages, text.replace(/\bxdev_drop_pages\(/, 'xdev_new_helper('));
    const created = path.join(tree, 'lib', 'extra.c');
    fs.writeFileSync(created, 'int lib_new_helper(struct page **pages, int n)\n{\n\treturn 0;\n}\n');
    const deleted = path.join(tree, 'lib', 'vbuf.c');
    fs.rmSync(deleted);
    const skipped = path.join(tree, 'tools', 'x.c');
    fs.mkdirSync(path.dirname(skipped), { recursive: true });
    fs.writeFileSync(skipped, 'int arch_flush(void)\n{\n\treturn 0;\n}\n');
    const again = rescanFiles(before, tree, [pages, created, deleted, skipped]);
    assert.deepStrictEqual(answers(again), answers(scanTree(tree)));
    assert.deepStrictEqual(definers(again, 'lib_new_helper').map(f => path.relative(tree, f)), [path.join('lib', 'extra.c')]);
    assert.deepStrictEqual(definers(again, 'vbuf_put_pages'), []);
    assert.ok(!again.notes.some(n => n.includes('vbuf.c')), again.notes.join('\n'));
  });

  it('leaves the scan as it was when no named file is a C file of the tree', () => {
    const before = scanTree(tree);
    assert.strictEqual(rescanFiles(before, tree, [path.join(tree, 'drivers', 'xdev', 'xdev.h'), path.join(os.tmpdir(), 'elsewhere.c')]), before);
  });
});
