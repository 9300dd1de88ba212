// The reporting settings are applied once, to the file's findings: with a
// code disabled or a severity changed, the core gives the default analysis's
// findings filtered and re-graded, nothing more or less (on every fixture).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import { analyseSource } from '../../src/core/analyse';
import { CODES, Finding } from '../../src/core/types';
import { loadParser } from '../../src/host/treesitter';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap(e =>
  e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.c') ? [path.join(dir, e.name)] : []);

describe('reporting settings', function () {
  this.timeout(120_000);
  let parser: Parser;
  before(async () => { parser = await loadParser(); });

  it('a disabled code and a severity override only filter and re-grade the default findings', () => {
    let checked = 0;
    walk(FIXTURES).forEach((file, i) => {
      const text = fs.readFileSync(file, 'utf8');
      const all = analyseSource(parser, text).findings;
      const codes = [...new Set(all.map(f => f.code))];
      if (!codes.length) return;
      const code = codes[i % codes.length];
      const name = path.relative(FIXTURES, file);
      assert.deepStrictEqual(analyseSource(parser, text, { disabledCodes: [code] }).findings, all.filter(f => f.code !== code), `${name}: ${code} disabled`);
      const want: Finding[] = all.map(f => (f.code === code ? { ...f, severity: 'hint' } : f));
      assert.deepStrictEqual(analyseSource(parser, text, { severity: { [code]: 'hint' } }).findings, want, `${name}: ${code} as hint`);
      checked++;
    });
    assert.ok(checked >= 20, `only ${checked} fixtures have findings`);
    assert.ok(CODES.length > 2);
  });
});
