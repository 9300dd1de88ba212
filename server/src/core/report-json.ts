// Findings and call sites in the JSON shape of `pinlens check --format json`
// (docs/contract.md, "The JSON document"): 1-based lines and columns, optional
// members only when present. The one writer for the plain check and the
// patch report, so that both carry the same members (fixes, counters, …).
import type { CallSite, Finding, Range } from './types';

/** A finding's verdict in a patch report, and the patch of the series that made it (0-based). */
export interface PatchVerdict { patch: 'introduced' | 'fixed' | 'unchanged'; by?: number }

const at = (r: Range) => ({ line: r.start.line + 1, column: r.start.character + 1, endLine: r.end.line + 1, endColumn: r.end.character + 1 });

export function findingJson(file: string, f: Finding, verdict?: PatchVerdict) {
  return {
    file,
    ...at(f.range),
    severity: f.severity, code: f.code, message: f.message, function: f.function,
    ...(f.acquire ? { acquire: { line: f.acquire.range.start.line + 1, api: f.acquire.api, mode: f.acquire.mode } } : {}),
    path: f.path.map(p => ({ line: p.range.start.line + 1, note: p.note })),
    ...(verdict ? { patch: verdict.patch } : {}),
    ...(verdict?.by !== undefined ? { patchIndex: verdict.by + 1 } : {}),
    ...(f.helper ? { helper: f.helper } : {}),
    ...(f.counters ? { counters: f.counters } : {}),
    fixes: f.fixes.map(x => ({ title: x.title, edits: x.edits.map(e => ({ ...at(e.range), newText: e.newText })) })),
  };
}

export function callSiteJson(file: string, c: CallSite) {
  return {
    file, line: c.range.start.line + 1, function: c.function, api: c.api, mode: c.mode,
    releases: c.releases.map(x => ({ file, line: x.range.start.line + 1, api: x.api, ...(x.viaHelper ? { via: x.viaHelper } : {}) })),
    // extensions: where the pages are handed on, and who releases the field they went into
    ...(c.handoffs.length ? { handoffs: c.handoffs.map(h => ({ line: h.range.start.line + 1, kind: h.kind })) } : {}),
    ...(c.later?.length ? { later: c.later.map(l => ({ file, line: l.range.start.line + 1, function: l.function, api: l.api, field: l.field, ...(l.via ? { via: l.via } : {}) })) } : {}),
    paths: c.paths,
  };
}
