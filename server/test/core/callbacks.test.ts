// Callbacks: teardowns and completions reached through ops tables, kref_put(),
// work items and function pointers in fields — found, named in the findings
// they take part in, and listed as where a field's pages are released later.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyseSource } from '../../src/core/analyse';
import { installedCallbacks } from '../../src/core/callbacks';
import { functionsOf, parse } from '../../src/core/syntax';
import { loadParser } from '../../src/host/treesitter';

const SRC = fs.readFileSync(path.join(__dirname, '..', 'lsp', 'fixtures', 'teardown.c'), 'utf8');

const lineOf = (needle: string) => SRC.split('\n').findIndex(l => l.includes(needle));

describe('callbacks', () => {
  it('finds ops-table entries, kref releases, work functions and function pointers stored in fields', async () => {
    const tree = parse(await loadParser(), SRC)!;
    try {
      const defined = new Set(functionsOf(tree.rootNode).map(f => f.name));
      const got = installedCallbacks(tree.rootNode, defined);
      const how = (fn: string) => got.get(fn)?.map(i => i.how);
      assert.deepStrictEqual(how('xdev_release'), ['.release of struct file_operations xdev_fops']);
      assert.deepStrictEqual(how('xdev_free'), [`the kref release of kref_put(&x->ref, …) on line ${lineOf('kref_put(') + 1}`]);
      assert.deepStrictEqual(how('xdev_work'), [`the work function of INIT_WORK(&x->work, …) on line ${lineOf('INIT_WORK(') + 1}`]);
      assert.deepStrictEqual(how('xdev_end_io'), [`stored in bio->bi_end_io on line ${lineOf('bi_end_io =') + 1}`]);
      // THIS_MODULE is not a function of the file; called functions are not callbacks
      assert.deepStrictEqual([...got.keys()].sort(), ['xdev_end_io', 'xdev_free', 'xdev_release', 'xdev_work']);
    } finally {
      tree.delete();
    }
  });

  it('a teardown reached through kref_put() is named in its finding, and the filling call site lists it', async () => {
    const a = analyseSource(await loadParser(), SRC, {});
    const f = a.findings.find(x => x.code === 'mismatched-release');
    assert.ok(f, JSON.stringify(a.findings.map(x => x.code)));
    assert.strictEqual(f.function, 'xdev_free');
    assert.strictEqual(f.range.start.line, lineOf('put_page(x->pages[i])'));
    const steps = f.path.map(s => s.note);
    const at = steps.findIndex(n => n.startsWith('xdev_free() runs as the kref release of kref_put(&x->ref, …)'));
    assert.ok(at > 0 && at === steps.length - 2, steps.join('\n'));
    const site = a.callSites.find(c => c.function === 'xdev_map')!;
    assert.deepStrictEqual(site.later?.map(l => [l.function, l.api, l.field, l.range.start.line]),
      [['xdev_free', 'put_page', 'struct xdev.pages', lineOf('put_page(x->pages[i])')]]);
    assert.match(site.later![0].via ?? '', /^xdev_free\(\) runs as the kref release/);
  });
});
