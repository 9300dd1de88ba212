// A patch document whose tree is not open: each file's hunks in one patch
// analysed as a fragment (the post-image lines at their own line numbers,
// gaps blank, braces closed), the findings put on the hunks' lines, marked
// partial.
import type { FileChange, Hunk, ParsedPatch } from '../../core/patch/types';
import { inputLineOf } from '../../core/patch/apply';
import type { FileAnalysis } from '../../core/types';
import { plural } from '../../words';
import { docLines, isNew, newCount, onPatchLine } from './hunks';
import { modeLabel } from './labels';
import type { Lens } from './lenses';
import { EMPTY_ANALYSIS, PatchDiag, PatchFinding, PatchView, at0, patchFixes, patchLabel, patchStartLines } from './patch';

/** A file's hunks in one patch as a C text: each post-image line at its own line number, gaps blank, braces closed. */
/** Hunks said to start past this line are not analysed alone: their fragment would be that many lines. */
export const MAX_FRAGMENT_LINE = 200_000;

export function hunkFragment(hunks: Hunk[]): string {
  const out: string[] = [];
  for (const h of hunks) {
    if (h.newLines === 0) continue;
    let post = h.newStart - 1;
    for (const l of h.lines) {
      if (!isNew(l)) continue;
      while (out.length < post) out.push('');
      out[post++] = l.slice(1);
    }
  }
  let depth = 0;
  for (const l of out) for (const c of l.replace(/\/\/.*$|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'/g, '')) {
    if (c === '{') depth++;
    else if (c === '}') depth = Math.max(0, depth - 1);
  }
  for (; depth > 0; depth--) out.push('}');
  return out.join('\n') + '\n';
}

/** A FileChange with only what inputLineOf reads: the hunks where their headers say. */
function asChange(path: string, hunks: Hunk[]): FileChange {
  return {
    path, status: 'modified', changes: [],
    hunks: hunks.map(h => ({ hunk: h, preLine: Math.max(0, h.oldStart - 1), postLine: Math.max(0, h.newStart - 1), offset: 0, fuzz: 0 })),
  };
}

export function partialView(text: string, patches: ParsedPatch[], analyse: (path: string, text: string) => FileAnalysis): PatchView {
  const lines = docLines(text);
  const diagnostics: PatchDiag[] = [{
    range: at0, severity: 'information', code: 'analysis-incomplete', related: [],
    message: 'pinlens: partial analysis: the tree this patch applies to is not open (no workspace folder holds the files it changes), so only the lines the hunks show were analysed.',
  }];
  const findings: PatchFinding[] = [];
  const lenses: Lens[] = [];
  const starts = patchStartLines(text, patches);
  patches.forEach((p, k) => {
    let count = 0;
    const hunkItems = new Map<number, string[]>();
    for (const fp of p.files) {
      const path = fp.newPath ?? fp.oldPath ?? '';
      if (!/\.[ch]$/.test(path) || !fp.newPath) continue;
      // (the fragment keeps each hunk at its line: one past any real file is not padded out to)
      const hunks = fp.hunks.filter(h => h.inputLine !== undefined && h.newLines > 0 && h.newStart + h.newLines <= MAX_FRAGMENT_LINE);
      if (!hunks.length) continue;
      let a: FileAnalysis;
      const fragment = hunkFragment(hunks);
      try { a = analyse(path, fragment); } catch { a = EMPTY_ANALYSIS; }
      const fc = asChange(path, hunks);
      for (const f of a.findings) {
        const n = inputLineOf(fc, f.range.start.line);
        if (n === undefined) continue;
        const range = onPatchLine(lines, n, f.range, true);
        const related: PatchDiag['related'] = [];
        const an = f.acquire && inputLineOf(fc, f.acquire.range.start.line);
        if (f.acquire && an !== undefined) related.push({ range: onPatchLine(lines, an, f.acquire.range, true), message: `${f.acquire.api} acquires the pages (${modeLabel(f.acquire.mode)})` });
        const fixes = patchFixes(f.fixes, fragment, line => inputLineOf(fc, line), text);
        diagnostics.push({ range, severity: f.severity, code: f.code, related, message: `(in the hunks) ${f.message}`, ...(fixes.length ? { fixes } : {}) });
        findings.push({ range, mark: 'partial', file: path, finding: f });
        count++;
      }
      for (const h of hunks) {
        const from = h.newStart - 1, to = from + newCount(h);
        const items = a.callSites.filter(c => c.range.start.line >= from && c.range.start.line < to)
          .map(c => `${c.api} (${modeLabel(c.mode)}) in ${c.function}()`);
        hunkItems.set(h.inputLine!, items);
      }
    }
    const at = starts[k] ?? 0;
    lenses.push({ range: { start: { line: at, character: 0 }, end: { line: at, character: 0 } }, title: `${patchLabel(p)} · partial (tree not open) · ${plural(count, 'finding')} in the hunks`, command: '' });
    for (const [line, items] of hunkItems) {
      lenses.push({ range: { start: { line, character: 0 }, end: { line, character: 0 } }, title: items.length ? `shows ${items.join(' · ')}` : 'no page references in this hunk', command: '' });
    }
  });
  return { diagnostics, findings, lenses };
}
