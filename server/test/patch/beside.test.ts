// Patch review sees what a patch changes in the files beside it: a helper
// whose release family it changes (index/trees/beside) mends the callers
// that gave it pinned pages and breaks the ones that gave it referenced
// pages — in a file the patch never touches. Both sides are analysed in the
// tree as each has it (index/facts.ts patchAnalyser); without the index the
// other file's findings cannot change and none is reported.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createTwoFilesPatch } from 'diff';
import { loadParser } from '../../src/host/treesitter';
import { patchAnalyser } from '../../src/index/facts';
import { runPatchCheck } from '../../src/index/patch-check';
import { TreeIndex } from '../../src/index/tree';

const TREE = path.join(__dirname, '..', 'index', 'trees', 'beside');
const LIB = 'drivers/zz/zz_lib.c';

describe('patch: findings a patch makes or mends in the files beside it', () => {
  let cache: string;
  before(() => { cache = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-beside-')); });
  after(() => fs.rmSync(cache, { recursive: true, force: true }));

  const patch = () => {
    const text = fs.readFileSync(path.join(TREE, LIB), 'utf8');
    const after = text.replace('put_page(pages[i]);', 'unpin_user_page(pages[i]);');
    assert.notStrictEqual(after, text);
    return [{ name: 'unpin.patch', text: `Subject: [PATCH] zz: unpin in zz_release()\n\n---\n${createTwoFilesPatch(`a/${LIB}`, `b/${LIB}`, text, after)}` }];
  };

  it('a helper that changes family: its pinning caller fixed, its referencing caller introduced', async () => {
    const parser = await loadParser();
    const index = new TreeIndex(TREE, parser, {}, { cacheDir: cache });
    const report = await runPatchCheck({ patches: patch(), treeRoot: TREE, analyse: patchAnalyser(parser, TREE, {}, index), crossFile: true });
    assert.deepStrictEqual(report.findings.map(m => [m.patch, m.file, m.finding.code, m.finding.function, m.by]), [
      ['fixed', 'drivers/zz/zz_user.c', 'mismatched-release', 'zz_pin', 0],
      ['introduced', 'drivers/zz/zz_user.c', 'mismatched-release', 'zz_get', 0],
    ]);
    assert.match(report.findings[1].finding.message, /via zz_release\(\).*get_user_pages_fast/);
    assert.deepStrictEqual(report.patches[0].lines.slice(-2), [
      'introduces 1 finding: mismatched-release in zz_get()', 'fixes 1 finding: mismatched-release in zz_pin()',
    ]);
    // the patch touches one function of one file: the callers are not counted as touched
    assert.deepStrictEqual([report.stats.files, report.stats.functions], [1, 1]);
  });

  it('without the index the callers do not see the helper: nothing beside the patch is reported', async () => {
    const parser = await loadParser();
    const report = await runPatchCheck({ patches: patch(), treeRoot: TREE, analyse: patchAnalyser(parser, TREE, {}) });
    assert.deepStrictEqual(report.findings, []);
  });
});
