// The data-driven fixture runner: every C file under server/test/fixtures/
// states its expectations inline — `// expect: <code>[, <code>…]` on the line
// where a finding starts, `// no finding` on clean twins — and fails on a
// missing finding and on an unexpected one. `// known-miss: <code>` records a
// real bug the analysis does not find yet: the runner fails when it starts
// finding it, so the marker must then become `expect:`.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyseSource } from '../src/core/analyse';
import { CODES, Code } from '../src/core/types';
import { loadParser } from '../src/host/treesitter';

const ROOT = path.join(__dirname, 'fixtures');

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.c') ? [path.join(dir, e.name)] : []);
}

export interface Expectations { expected: Set<string>; knownMiss: Set<string>; clean: number[]; bad: number }

/** `line:code` keys (1-based lines) the file expects, and its clean-marker lines. */
export function expectationsOf(text: string): Expectations {
  const expected = new Set<string>();
  const knownMiss = new Set<string>();
  const clean: number[] = [];
  let bad = 0;
  text.split('\n').forEach((line, i) => {
    const m = /\/\/\s*expect:\s*([\w\s,-]+?)\s*(?:\*\/)?$/.exec(line);
    if (m) for (const c of m[1].split(',').map(s => s.trim()).filter(Boolean)) {
      assert.ok((CODES as readonly string[]).includes(c), `line ${i + 1}: unknown code '${c}'`);
      expected.add(`${i + 1}:${c}`);
      bad++;
    }
    const k = /\/\/\s*known-miss:\s*([\w-]+)/.exec(line);
    if (k) knownMiss.add(`${i + 1}:${k[1]}`);
    if (/\/\/\s*no finding\b/.test(line)) clean.push(i + 1);
  });
  return { expected, knownMiss, clean, bad };
}

const files = walk(ROOT).sort();

describe('fixtures', () => {
  const perCode = new Map<string, { bad: number; clean: number }>();
  const knownMisses: string[] = [];
  after(() => {
    if (knownMisses.length) console.log(`      ${knownMisses.length} known misses (real bugs not found yet): ${knownMisses.join(', ')}`);
  });
  for (const file of files) {
    const rel = path.relative(ROOT, file);
    it(rel, async () => {
      const parser = await loadParser();
      const text = fs.readFileSync(file, 'utf8');
      const exp = expectationsOf(text);
      const code = rel.split(path.sep)[0];
      const tally = perCode.get(code) ?? { bad: 0, clean: 0 };
      tally.bad += exp.bad; tally.clean += exp.clean.length;
      perCode.set(code, tally);
      const result = analyseSource(parser, text, {});
      const actual = new Map(result.findings.map(f => [`${f.range.start.line + 1}:${f.code}`, f]));
      // each finding once: one release, one bug, one diagnostic (not one per way the model saw it)
      const twice = result.findings.map(f => `${f.range.start.line + 1}:${f.range.start.character + 1}:${f.code}`).filter((k, i, all) => all.indexOf(k) !== i);
      assert.deepStrictEqual(twice, [], `${rel}: reported more than once at the same place`);
      const missing = [...exp.expected].filter(k => !actual.has(k));
      const unexpected = [...actual.keys()].filter(k => !exp.expected.has(k));
      knownMisses.push(...[...exp.knownMiss].map(k => `${rel}:${k}`));
      const show = (k: string) => {
        const f = actual.get(k);
        return f ? `${k} ${f.message}` : k;
      };
      assert.deepStrictEqual({ missing, unexpected: unexpected.map(show) }, { missing: [], unexpected: [] },
        `${rel}: findings differ from the // expect: markers`);
      for (const line of exp.clean) {
        assert.ok(!result.findings.some(f => f.range.start.line + 1 === line), `${rel}:${line} is marked // no finding`);
      }
      // every finding explains itself: a path ending at the finding, and an acquire when it is about pages
      for (const f of result.findings) {
        if (f.code === 'analysis-incomplete') continue;
        assert.ok(f.path.length > 0, `${rel}: ${f.code} at ${f.range.start.line + 1} has no path`);
        assert.strictEqual(f.path[f.path.length - 1].range.start.line, f.range.start.line);
      }
    });
  }

  it('has at least 4 bad and 4 clean cases for every finding code', () => {
    for (const code of CODES.filter((c: Code) => c !== 'analysis-incomplete')) {
      const t = perCode.get(code) ?? { bad: 0, clean: 0 };
      assert.ok(t.bad >= 4 && t.clean >= 4, `${code}: ${t.bad} bad and ${t.clean} clean fixtures`);
    }
  });
});
