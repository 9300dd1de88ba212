// `pinlens check --patch FILE… | --patch - | --git [REV]`: reads the patches,
// runs the patch check (index/patch-check.ts) with the core's analysis, prints it.
import * as fs from 'fs';
import type { Parser } from 'web-tree-sitter';
import { patchAnalyser } from '../index/facts';
import type { TreeIndex } from '../index/tree';
import { explanation } from './format';
import type { Options } from './main';
import { runGitCheck, runPatchCheck } from '../index/patch-check';
import { PatchCheckError, PatchReport } from '../index/patch-compare';
import { patchExitCode, patchReportJson, renderPatchReportText } from '../index/patch-report';
import { VERSION } from '../version';

function readPatch(name: string): { name: string; text: string } {
  if (name === '-') return { name: '<stdin>', text: fs.readFileSync(0, 'utf8') };
  try {
    return { name, text: fs.readFileSync(name, 'utf8') };
  } catch (e) {
    throw new Error(`cannot read patch '${name}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export async function runPatchMode(opts: Options, parser: Parser, index?: TreeIndex): Promise<number> {
  const treeRoot = opts.tree ?? process.cwd();
  // each side of each patch analysed in its tree: the era from the tree's Makefile, the facts from its index
  const analyse = patchAnalyser(parser, treeRoot, opts.settings, index);
  const crossFile = !!index;
  let report: PatchReport;
  try {
    report = opts.git !== undefined
      ? await runGitCheck({ treeRoot, rev: opts.git, analyse, crossFile })
      : await runPatchCheck({ patches: opts.patches.map(readPatch), treeRoot, analyse, crossFile });
  } catch (e) {
    if (e instanceof PatchCheckError) {
      process.stderr.write(`pinlens: the patch cannot be checked:\n${e.problems.map(p => `  ${p.message}`).join('\n')}\n`);
      return 2;
    }
    throw e;
  }
  if (opts.format === 'json') process.stdout.write(JSON.stringify(patchReportJson(report), null, 2) + '\n');
  else if (opts.format === 'sarif') {
    const { toSarif } = await import('./format');
    const byFile = new Map<string, PatchReport['findings']>();
    for (const m of report.findings) byFile.set(m.file, [...(byFile.get(m.file) ?? []), m]);
    process.stdout.write(toSarif([...byFile].map(([file, ms]) => ({
      file, findings: ms.map(m => ({ ...m.finding, patch: m.patch })), callSites: [], functions: 0, notes: [],
    })), VERSION));
  } else process.stdout.write(renderPatchReportText(report, { quiet: opts.quiet, ...(opts.explain ? { explain: explanation } : {}) }));
  return patchExitCode(report);
}
