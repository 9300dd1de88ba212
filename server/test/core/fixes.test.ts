// Quick fixes do what their title says: every preferred fix offered on the
// fixtures, applied to the text, makes its finding go away and brings no new
// finding into the function.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyseSource } from '../../src/core/analyse';
import type { Finding, TextEdit } from '../../src/core/types';
import { loadParser } from '../../src/host/treesitter';

const FIXTURES = path.join(__dirname, '..', 'fixtures');

function offsetOf(text: string, line: number, character: number): number {
  let o = 0;
  for (let l = 0; l < line; l++) o = text.indexOf('\n', o) + 1;
  return o + character;
}

export function applyEdits(text: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => offsetOf(text, b.range.start.line, b.range.start.character) - offsetOf(text, a.range.start.line, a.range.start.character));
  for (const e of sorted) {
    text = text.slice(0, offsetOf(text, e.range.start.line, e.range.start.character)) + e.newText + text.slice(offsetOf(text, e.range.end.line, e.range.end.character));
  }
  return text;
}

const key = (f: Finding) => `${f.code}:${f.function}`;

describe('quick fixes', () => {
  const files = fs.readdirSync(FIXTURES).flatMap(d => fs.readdirSync(path.join(FIXTURES, d)).filter(f => f.endsWith('.c')).map(f => path.join(FIXTURES, d, f)));
  const kinds = new Map<string, number>();

  for (const file of files) {
    it(`fixes what they say in ${path.relative(FIXTURES, file)}`, async () => {
      const parser = await loadParser();
      const text = fs.readFileSync(file, 'utf8');
      const before = analyseSource(parser, text, {});
      for (const f of before.findings) {
        const fix = f.fixes.find(x => x.preferred);
        if (!fix) continue;
        const kind = fix.title.replace(/\b(?:\w+->)?\w*pages?\w*\b|\b\w+\(\)/g, '…').slice(0, 40);
        kinds.set(f.code, (kinds.get(f.code) ?? 0) + 1);
        const after = analyseSource(parser, applyEdits(text, fix.edits), {});
        const count = (a: typeof before, k: string) => a.findings.filter(x => key(x) === k).length;
        assert.ok(count(after, key(f)) < count(before, key(f)),
          `${path.basename(file)}:${f.range.start.line + 1} ${f.code}: "${fix.title}" (${kind}) leaves the finding`);
        const fresh = after.findings.filter(x => x.function === f.function && x.code !== f.code && !before.findings.some(y => key(y) === key(x)));
        assert.deepStrictEqual(fresh.map(x => `${x.code} at ${x.range.start.line + 1}: ${x.message}`), [],
          `${path.basename(file)}:${f.range.start.line + 1}: "${fix.title}" brings new findings`);
      }
    });
  }

  it('are offered for each kind of finding the fixtures hold', () => {
    for (const code of ['mismatched-release', 'release-count-mismatch', 'leaked-pages', 'bio-flag-mismatch']) {
      assert.ok((kinds.get(code) ?? 0) > 0, `no preferred fix for ${code}`);
    }
  });
});
