// The one place where core data becomes LSP data. Positions need no change:
// the core already speaks 0-based lines and UTF-16 characters.
import {
  CodeAction, CodeActionKind, CodeLens, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity,
  Hover, MarkupKind,
} from 'vscode-languageserver';
import type { Finding, Fix, Range, Severity, TextEdit } from '../core/types';
import type { HoverInfo } from './features/hover';
import type { Lens } from './features/lenses';
import type { PatchDiag } from './features/patch';
import { modeLabel } from './features/labels';
import { keySteps, sameRange } from './features/steps';

export const SOURCE = 'pinlens';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** What a pinlens diagnostic carries in `data`: enough for its code actions. */
export interface DiagnosticData {
  fixes: Fix[];
  /** in a git work tree: whether the uncommitted change introduced the finding. */
  change?: 'introduced' | 'unchanged';
}

export const INTRODUCED_SUFFIX = ' (introduced by the uncommitted change)';

/** docsBase: file: URI of docs/codes/ with a trailing slash; mark: the finding against HEAD, when known. */
export function toDiagnostic(f: Finding, uri: string, docsBase: string, mark?: 'introduced' | 'unchanged'): Diagnostic {
  // the steps that matter; the whole path is in the hover and the simulation view
  const steps = keySteps(f);
  const related: DiagnosticRelatedInformation[] = steps.map(step => ({ location: { uri, range: step.range }, message: step.note }));
  const acq = f.acquire;
  if (acq && !steps.some(step => sameRange(step.range, acq.range))) {
    related.unshift({ location: { uri, range: acq.range }, message: `${acq.api} acquires the pages (${modeLabel(acq.mode)})` });
  }
  const data: DiagnosticData = mark ? { fixes: f.fixes, change: mark } : { fixes: f.fixes };
  return {
    range: f.range,
    severity: SEVERITY[f.severity],
    code: f.code,
    codeDescription: { href: `${docsBase}${f.code}.md` },
    source: SOURCE,
    message: mark === 'introduced' ? f.message + INTRODUCED_SUFFIX : f.message,
    relatedInformation: related.length ? related : undefined,
    data,
  };
}

/** A diagnostic on a patch document (features/patch.ts); its fixes edit the patch's `+` lines. */
export function toPatchDiagnostic(d: PatchDiag, uri: string, docsBase: string): Diagnostic {
  const data: DiagnosticData = { fixes: d.fixes ?? [] };
  return {
    range: d.range,
    severity: SEVERITY[d.severity],
    code: d.code,
    codeDescription: d.code ? { href: `${docsBase}${d.code}.md` } : undefined,
    source: SOURCE,
    message: d.message,
    relatedInformation: d.related.length ? d.related.map(r => ({ location: { uri, range: r.range }, message: r.message })) : undefined,
    data,
  };
}

/** The single note on a document that is not analysed. */
export function noteDiagnostic(message: string, code: string, docsBase: string): Diagnostic {
  const start = { line: 0, character: 0 };
  return {
    range: { start, end: start }, severity: DiagnosticSeverity.Information, code,
    codeDescription: { href: `${docsBase}${code}.md` }, source: SOURCE, message,
  };
}

export function toCodeLens(l: Lens): CodeLens {
  return { range: l.range, command: { title: l.title, command: l.command, arguments: l.args } };
}

export function toHover(h: HoverInfo): Hover {
  return { range: h.range, contents: { kind: MarkupKind.Markdown, value: h.markdown } };
}

/** Quick fixes straight from the diagnostics' data; the server keeps no state. */
export function toCodeActions(uri: string, diagnostics: Diagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const d of diagnostics) {
    if (d.source !== SOURCE) continue;
    for (const fix of fixesOf(d.data)) {
      actions.push({
        title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: fix.preferred,
        edit: { changes: { [uri]: fix.edits.map(e => ({ range: e.range, newText: e.newText })) } },
      });
    }
  }
  return actions;
}

/** `data` comes back from the client: trust nothing in it. */
function fixesOf(data: unknown): Fix[] {
  const fixes = (data as { fixes?: unknown } | null | undefined)?.fixes;
  if (!Array.isArray(fixes)) return [];
  return fixes.filter((f): f is Fix =>
    !!f && typeof f.title === 'string' && Array.isArray(f.edits) && f.edits.every(isEdit));
}

function isEdit(e: unknown): e is TextEdit {
  const x = e as TextEdit | null;
  return !!x && typeof x.newText === 'string' && isRange(x.range);
}

function isPos(p: unknown): boolean {
  const x = p as { line?: unknown; character?: unknown } | null;
  return !!x && Number.isInteger(x.line) && Number.isInteger(x.character);
}

export function isRange(r: unknown): r is Range {
  const x = r as Range | null;
  return !!x && isPos(x.start) && isPos(x.end);
}
