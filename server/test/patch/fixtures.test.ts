// The patch fixtures end to end with the real analysis core: each
// server/test/patch-fixtures/<case>/ (and the flagship series in
// examples/patches/) holds tree/, the patch inputs and expected.json:
//   subjects  the series' subjects, in order (cover letters skipped)
//   notes     notes the report must carry
//   findings  every introduced and fixed finding, exactly (file, 1-based line,
//             function, code, patch, by = 1-based patch number); unchanged
//             ones listed must be there
//   summary   per patch, lines its summary must contain
//   error     instead of all that: the problem that stops the check
//   tree      the tree to apply to, relative to the case, when it shares
//             another case's (default tree/)
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { runPatchCheck } from '../../src/index/patch-check';
import { MarkedFinding, PatchCheckError } from '../../src/index/patch-compare';
import { analyseSource } from '../../src/core/analyse';
import { loadParser } from '../../src/host/treesitter';

interface Expected {
  description: string;
  subjects?: string[];
  notes?: string[];
  findings?: { file: string; line: number; function: string; code: string; patch: string; by?: number }[];
  summary?: string[][];
  error?: { kind: string; file?: string; hunk?: string; message?: string };
  tree?: string;
}

const FIX = path.join(__dirname, '..', 'patch-fixtures');
const cases = [
  ...fs.readdirSync(FIX).filter((c) => fs.existsSync(path.join(FIX, c, 'expected.json'))).map((c) => ({ name: c, dir: path.join(FIX, c) })),
  { name: 'flagship example (examples/patches)', dir: path.join(__dirname, '..', '..', '..', 'examples', 'patches') },
];

const show = (m: MarkedFinding) => ({ file: m.file, line: m.finding.range.start.line + 1, function: m.finding.function,
  code: m.finding.code, patch: m.patch, ...(m.by !== undefined ? { by: m.by + 1 } : {}) });
const order = (a: { file: string; line: number; code: string }, b: { file: string; line: number; code: string }) =>
  a.file.localeCompare(b.file) || a.line - b.line || a.code.localeCompare(b.code);

describe('patch: fixtures with the analysis core', () => {
  for (const c of cases) {
    const expected = JSON.parse(fs.readFileSync(path.join(c.dir, 'expected.json'), 'utf8')) as Expected;
    it(`${c.name}: ${expected.description}`, async () => {
      const parser = await loadParser();
      const patches = fs.readdirSync(c.dir).filter((f) => /\.(patch|mbox|eml)$/.test(f)).sort()
        .map((f) => ({ name: f, text: fs.readFileSync(path.join(c.dir, f), 'utf8') }));
      const run = runPatchCheck({ patches, treeRoot: path.join(c.dir, expected.tree ?? 'tree'), analyse: (_p, text) => analyseSource(parser, text) });
      if (expected.error) {
        const e = expected.error;
        await assert.rejects(run, (err: unknown) => {
          assert.ok(err instanceof PatchCheckError, String(err));
          const p = err.problems[0] as { kind: string; file?: string; hunk?: string; message: string };
          assert.strictEqual(p.kind, e.kind);
          if (e.file) assert.strictEqual(p.file, e.file);
          if (e.hunk) assert.strictEqual(p.hunk, e.hunk);
          if (e.message) assert.ok(p.message.includes(e.message), p.message);
          return true;
        });
        return;
      }
      const report = await run;
      if (expected.subjects) assert.deepStrictEqual(report.patches.map((p) => p.subject), expected.subjects);
      for (const n of expected.notes ?? []) assert.ok(report.notes.includes(n), `missing note ${n} in ${JSON.stringify(report.notes)}`);
      const got = report.findings.map(show);
      const want = expected.findings ?? [];
      assert.deepStrictEqual(got.filter((f) => f.patch !== 'unchanged').sort(order), want.filter((f) => f.patch !== 'unchanged').sort(order),
        'introduced and fixed findings');
      for (const w of want.filter((f) => f.patch === 'unchanged')) {
        assert.ok(got.some((g) => JSON.stringify(g) === JSON.stringify(w)), `missing unchanged finding ${JSON.stringify(w)}`);
      }
      (expected.summary ?? []).forEach((lines, k) => {
        for (const l of lines) assert.ok(report.patches[k].lines.includes(l), `patch ${k + 1} summary lacks "${l}":\n  ${report.patches[k].lines.join('\n  ')}`);
      });
    });
  }
});
