// Hover: what pinlens knows at a position, as Markdown. Findings first (with
// the page's counters before and after the step that breaks the rule), then
// the call site or release under the cursor, then the API catalog entry.
import { lookupApi } from '../../core/apis';
import type { CallSite, FieldReleaseInfo, FileAnalysis, Finding, LedgerState, Position, Range } from '../../core/types';
import { modeLabel, plural } from './labels';
import { contains, lineNo, size, wordAt } from './positions';

export interface HoverInfo { range: Range; markdown: string }

export function hoverAt(a: FileAnalysis, text: string, pos: Position): HoverInfo | undefined {
  const parts: string[] = [];
  const ranges: Range[] = [];
  for (const f of a.findings.filter(f => contains(f.range, pos))) {
    parts.push(findingMarkdown(f));
    ranges.push(f.range);
  }
  const site = innermost(a.callSites.filter(c => contains(c.range, pos)));
  if (site) { parts.push(callSiteMarkdown(site)); ranges.push(site.range); }
  for (const cs of a.callSites) {
    const rel = cs.releases.find(r => contains(r.range, pos));
    if (rel) {
      parts.push(`**${rel.api}** releases the pages of \`${cs.api}\` (${modeLabel(cs.mode)}) taken on line ${lineNo(cs.range)}` +
        (rel.viaHelper ? `, through \`${rel.viaHelper}\`.` : '.'));
      ranges.push(rel.range);
    }
  }
  // a teardown: which fills put the pages into the field it releases
  const fr = innermost((a.fieldReleases ?? []).filter(r => contains(r.range, pos)));
  if (fr) { parts.push(fieldReleaseMarkdown(fr)); ranges.push(fr.range); }
  const w = wordAt(text, pos);
  const api = w && lookupApi(w.word);
  if (w && api && !(site && site.api === w.word)) {
    const what = api.kind === 'acquire' ? `acquires pages: ${modeLabel(api.mode)}` : `releases pages (${api.family} family)`;
    parts.push(`**${api.name}** ${what}  \n${api.doc}`);
    ranges.push(w.range);
  }
  if (!parts.length) return undefined;
  return { range: innermost(ranges.map(r => ({ range: r })))!.range, markdown: parts.join('\n\n---\n\n') };
}

function innermost<T extends { range: Range }>(xs: T[]): T | undefined {
  return xs.reduce<T | undefined>((best, x) => (!best || size(x.range) < size(best.range) ? x : best), undefined);
}

export function fieldReleaseMarkdown(r: FieldReleaseInfo): string {
  const fills = r.fills.map(f => `- \`${f.function}()\`${f.file ? ` in \`${f.file}\`` : ''} on line ${lineNo(f.range)}: \`${f.api}\` (${modeLabel(f.mode)})`
    + (f.flag ? `, with \`${f.flag.field}\` = iov_iter_extract_will_pin() beside them` : ''));
  return `**${r.api}** releases \`${r.field}\` (\`${r.key}\`), which is filled by:\n${fills.join('\n')}`;
}

export function findingMarkdown(f: Finding): string {
  const lines = [`**pinlens: ${f.code}** (${f.severity})  \n${f.message}`];
  if (f.acquire) lines.push(`Pages from \`${f.acquire.api}\` (${modeLabel(f.acquire.mode)}) on line ${lineNo(f.acquire.range)}.`);
  if (f.helper) lines.push(`Relies on the summary of \`${f.helper}\`.`);
  if (f.counters) {
    const { before, after, consequence } = f.counters;
    lines.push(ledgerTable(before, after));
    if (consequence) lines.push(`*${consequence}*`);
  }
  return lines.join('\n\n');
}

function ledgerTable(b: LedgerState, a: LedgerState): string {
  const row = (name: string, f: (l: LedgerState) => string) => `| ${name} | ${f(b)} | ${f(a)} |`;
  const yes = (x: boolean) => (x ? 'yes' : 'no');
  return [
    `| \`${b.holder}\` | before | after |`,
    '|---|---|---|',
    row('state', l => `${l.state} (${modeLabel(l.mode)}, ${l.count})`),
    row('small folio: refcount', l => signed(l.small.refcount)),
    row('large folio: refcount / _pincount', l => `${signed(l.large.refcount)} / ${l.large.pincount}`),
    row('folio_maybe_dma_pinned()', l => yes(l.small.maybeDmaPinned || l.large.maybeDmaPinned)),
  ].join('\n');
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

export function callSiteMarkdown(cs: CallSite): string {
  const lines = [`**${cs.api}** → \`${cs.holder}\`: ${modeLabel(cs.mode)}` + (cs.modeReason ? ` — ${cs.modeReason}` : '')];
  const p = cs.paths;
  lines.push(`${plural(p.total, 'simulated path')}: ${p.released} released, ${p.handedOff} handed off, ${p.leaked} leaked, ${p.failed} failed.`);
  if (cs.releases.length) {
    lines.push('Released by:\n' + cs.releases.map(r =>
      `- \`${r.api}\` on line ${lineNo(r.range)}` + (r.viaHelper ? ` (through \`${r.viaHelper}\`)` : '')).join('\n'));
  }
  if (cs.handoffs.length) {
    lines.push('Handed off:\n' + cs.handoffs.map(h => `- ${h.kind} on line ${lineNo(h.range)}: ${h.note}`).join('\n'));
  }
  if (cs.later?.length) {
    lines.push(`Released later, from \`${cs.later[0].field}\`:\n` + cs.later.map(l =>
      `- \`${l.api}\` in \`${l.function}()\` on line ${lineNo(l.range)}` + (l.via ? ` — ${l.via}` : '')).join('\n'));
  }
  return lines.join('\n\n');
}
