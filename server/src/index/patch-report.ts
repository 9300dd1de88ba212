// The patch report rendered: gcc-style text lines marked with the verdict and
// the per-patch summaries, the exit status, and the JSON document (the plain
// check's JSON writer, core/report-json.ts, plus the patches).
import { callSiteJson, findingJson } from '../core/report-json';
import type { Finding } from '../core/types';
import { plural } from '../words';
import type { PatchMark, PatchReport } from './patch-compare';

export interface RenderOptions {
  /** only the findings the series introduces, and nothing at all when there are none. */
  quiet?: boolean;
  /** lines to print under each finding (the CLI's --explain) */
  explain?: (file: string, f: Finding) => string[];
}

/** Text output: gcc-style finding lines marked with the patch verdict, then the per-patch summary. */
export function renderPatchReportText(report: PatchReport, opts: RenderOptions = {}): string {
  const out: string[] = [];
  for (const m of report.findings) {
    if (opts.quiet && m.patch !== 'introduced') continue;
    const f = m.finding;
    out.push(`${m.file}:${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.severity}: ${f.message} [${f.code}] (${m.patch})`);
    if (opts.explain) out.push(...opts.explain(m.file, f));
  }
  if (opts.quiet) return out.length > 0 ? out.join('\n') + '\n' : '';
  if (out.length > 0) out.push('');
  for (const p of report.patches) {
    out.push(p.subject);
    for (const l of p.lines) out.push(`  ${l}`);
  }
  for (const n of report.notes) out.push(`note: ${n}`);
  const count = (mark: PatchMark) => report.findings.filter((m) => m.patch === mark).length;
  const st = report.stats;
  out.push(`${plural(st.patches, 'patch', 'patches')}, ${plural(st.files, 'file')}, ${plural(st.functions, 'function')} touched: `
    + `${count('introduced')} introduced, ${count('fixed')} fixed, ${count('unchanged')} unchanged (${st.ms} ms)`);
  return out.join('\n') + '\n';
}

/** 1 when an error-level finding remains after the series (introduced or unchanged), else 0. */
export function patchExitCode(report: PatchReport): 0 | 1 {
  return report.findings.some((m) => m.patch !== 'fixed' && m.finding.severity === 'error') ? 1 : 0;
}

/** The JSON document of docs/contract.md, each finding with its "patch" mark, plus a "patches" summary. */
export function patchReportJson(report: PatchReport): object {
  return {
    version: 1,
    findings: report.findings.map((m) => findingJson(m.file, m.finding, m)),
    callSites: report.callSites.map((c) => callSiteJson(c.file, c)),
    stats: { files: report.stats.files, functions: report.stats.functions, callSites: report.stats.callSites, ms: report.stats.ms },
    patches: report.patches.map((p) => ({
      index: p.index + 1, subject: p.subject, input: p.input, files: p.files,
      functions: p.functions.map((f) => `${f.file}:${f.name}`),
      summary: p.lines,
    })),
    notes: report.notes,
  };
}
