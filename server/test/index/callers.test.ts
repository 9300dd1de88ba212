// Callers in other files (index/trees/callers): a release helper in yy_lib.c
// is judged by the mode of the pages yy_main.c passes it (top-down), through
// index/facts.ts analyseInTree — for pinlens check and patch review alike.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createTwoFilesPatch } from 'diff';
import { loadParser } from '../../src/host/treesitter';
import { analyseInTree, pageTakers, patchAnalyser } from '../../src/index/facts';
import { runPatchCheck } from '../../src/index/patch-check';
import { TreeIndex } from '../../src/index/tree';

const TREE = path.join(__dirname, 'trees', 'callers');
const LIB = path.join(TREE, 'drivers', 'yy', 'yy_lib.c');
const MAIN = 'drivers/yy/yy_main.c';

describe('index: callers in other files give a helper\'s parameters their mode', () => {
  let cache: string;
  before(() => { cache = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-callers-')); });
  after(() => fs.rmSync(cache, { recursive: true, force: true }));

  it('judges the helper\'s own release by the pages its caller in the other file pinned', async () => {
    const parser = await loadParser();
    const text = fs.readFileSync(LIB, 'utf8');
    assert.deepStrictEqual(pageTakers(text), ['yy_put', 'yy_unpin'], 'the static helper is nobody else\'s');
    assert.deepStrictEqual(analyseInTree(parser, text, LIB, {}).analysis.findings, [], 'alone nothing is known');
    const index = new TreeIndex(TREE, parser, {}, { cacheDir: cache });
    const { analysis, facts } = analyseInTree(parser, text, LIB, {}, { index });
    assert.deepStrictEqual(facts.callers.map(c => [c.callee, c.mode, c.function, c.file]).sort(), [
      ['yy_put', 'PIN', 'yy_map', MAIN.split('/').join(path.sep)],
      ['yy_unpin', 'PIN', 'yy_map_ok', MAIN.split('/').join(path.sep)],
    ]);
    const line = (s: string) => text.split('\n').findIndex(l => l.includes(s));
    assert.deepStrictEqual(analysis.findings.map(f => [f.code, f.function, f.range.start.line]), [['mismatched-release', 'yy_put', line('put_page(pages[i])')]]);
    assert.match(analysis.findings[0].message, /in its caller yy_map\(\) \(drivers\/yy\/yy_main\.c:3\)/);
  });

  it('patch review: a caller that now takes references instead of pins mends the helper in the other file', async () => {
    const parser = await loadParser();
    const main = fs.readFileSync(path.join(TREE, MAIN), 'utf8');
    const after = main.replace('int ret = pin_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);\n\n\tif (ret <= 0)\n\t\treturn ret;\n\tyy_put', 'int ret = get_user_pages_fast(uaddr, nr, FOLL_WRITE, pages);\n\n\tif (ret <= 0)\n\t\treturn ret;\n\tyy_put');
    assert.notStrictEqual(after, main);
    const patches = [{ name: 'get.patch', text: `Subject: [PATCH] yy: reference the pages of yy_map()\n\n---\n${createTwoFilesPatch(`a/${MAIN}`, `b/${MAIN}`, main, after)}` }];
    const index = new TreeIndex(TREE, parser, {}, { cacheDir: cache });
    const report = await runPatchCheck({ patches, treeRoot: TREE, analyse: patchAnalyser(parser, TREE, {}, index), crossFile: true });
    assert.deepStrictEqual(report.findings.map(m => [m.patch, m.file, m.finding.function]), [
      ['fixed', 'drivers/yy/yy_lib.c', 'yy_put'],
      ['fixed', MAIN, 'yy_map'],
    ]);
  });
});
