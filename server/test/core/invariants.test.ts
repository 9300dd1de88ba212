// The architecture invariants of server/ARCHITECTURE.md, checked on the source.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CHECKERS } from '../../src/core/checkers';
import { DEFAULT_SEVERITY } from '../../src/core/types';

const SRC = path.join(__dirname, '..', '..', 'src');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

describe('architecture invariants', () => {
  it('the core does no I/O and knows no protocol', () => {
    for (const f of files(path.join(SRC, 'core'))) {
      const text = fs.readFileSync(f, 'utf8');
      const imports = [...text.matchAll(/from '([^']+)'/g)].map(m => m[1]);
      const bad = imports.filter(i => !i.startsWith('.') && i !== 'web-tree-sitter' && i !== 'diff');
      assert.deepStrictEqual(bad, [], `${path.relative(SRC, f)} imports ${bad.join(', ')}`);
      assert.ok(!/\bprocess\.|\brequire\(/.test(text), `${path.relative(SRC, f)} touches the process`);
    }
  });

  it('only lsp/ imports vscode-languageserver, and core/index never import cli or lsp', () => {
    for (const f of files(SRC)) {
      const rel = path.relative(SRC, f);
      const text = fs.readFileSync(f, 'utf8');
      if (!rel.startsWith('lsp' + path.sep)) assert.ok(!/from 'vscode-languageserver/.test(text), `${rel} imports vscode-languageserver`);
      if (/^(core|index)\//.test(rel.split(path.sep).join('/'))) assert.ok(!/from '\.\.\/(cli|lsp)\//.test(text), `${rel} imports cli or lsp`);
    }
  });

  it('a file of a tree is analysed one way: only index/facts.ts (and the index\'s helper slices) call the core\'s entry point', () => {
    const callers = files(SRC).filter(f => /\banalyseSource\s*\(/.test(fs.readFileSync(f, 'utf8')))
      .map(f => path.relative(SRC, f).split(path.sep).join('/')).sort();
    assert.deepStrictEqual(callers, ['core/analyse.ts', 'index/facts.ts', 'index/tree.ts']);
  });

  it('the page-API prefilter and the page-type pattern are written once, in core/apis.ts', () => {
    for (const f of files(SRC)) {
      const rel = path.relative(SRC, f).split(path.sep).join('/');
      if (rel === 'core/apis.ts') continue;
      const text = fs.readFileSync(f, 'utf8');
      assert.ok(!/\(\?:?page\|folio\)\\b\|\\bbio_vec/.test(text), `${rel} spells the page-type pattern`);
      assert.ok(!/new RegExp\([^)]*ALL_API_NAMES/.test(text), `${rel} builds its own page-API prefilter`);
    }
  });

  it('a finding is made by its code\'s checker: one per code, and no other core module names a code where a finding is built', () => {
    const codes = Object.keys(DEFAULT_SEVERITY).filter(c => c !== 'analysis-incomplete');
    assert.deepStrictEqual(CHECKERS.map(c => c.code).sort(), codes.sort());
    for (const f of files(path.join(SRC, 'core'))) {
      const rel = path.relative(SRC, f).split(path.sep).join('/');
      if (rel.startsWith('core/checkers/')) continue;
      const text = fs.readFileSync(f, 'utf8');
      // (a `code:` property, or the first argument of a call: `finding('leaked-pages', …)`)
      const built = codes.filter(c => new RegExp(`(\\bcode\\s*:\\s*|\\(\\s*)'${c}'`).test(text));
      assert.deepStrictEqual(built, [], `${rel} builds findings of ${built.join(', ')}`);
    }
  });

  it('C function definitions are read from the text in index/definitions.ts only', () => {
    for (const f of files(SRC)) {
      const rel = path.relative(SRC, f).split(path.sep).join('/');
      if (rel === 'index/definitions.ts') continue;
      const text = fs.readFileSync(f, 'utf8');
      // (the readers' own names, and the column-0 closing brace the fast one ends a body at)
      assert.ok(!/\bfunction\s+(definitions|definitionNames|findFunctionSpans|bodyEnd)\s*\(|indexOf\('\\n\}'/.test(text), `${rel} reads function definitions from the text`);
    }
  });

  it('the patch report\'s comparison and rendering do no I/O (index/patch-check.ts reads the tree and runs git)', () => {
    for (const rel of ['index/patch-compare.ts', 'index/patch-report.ts']) {
      const text = fs.readFileSync(path.join(SRC, rel), 'utf8');
      const imports = [...text.matchAll(/from '([^']+)'/g)].map(m => m[1]);
      assert.deepStrictEqual(imports.filter(i => /^(fs|child_process|os)$|^\.\/(patch-check|tree|cache|scan|git)$/.test(i)), [], rel);
    }
  });
});
