// Hover: what pinlens knows at a position, as Markdown. Findings first (with
// the page's counters before and after the step that breaks the rule), then
// the call site or release under the cursor, then the API catalog entry.
import { ACQUIRE_BY_NAME, AcquireApi, lookupApi, releasesFor } from '../../core/apis';
import type { CallSite, FieldFill, FieldReleaseInfo, FileAnalysis, Finding, LedgerState, Position, Range } from '../../core/types';
import { plural } from '../../words';
import { handoffWords, modeLabel } from './labels';
import { sameRange } from './steps';
import { contains, lineNo, size, wordAt } from './positions';

export interface HoverInfo { range: Range; markdown: string }

export function hoverAt(a: FileAnalysis, text: string, pos: Position): HoverInfo | undefined {
  const parts: string[] = [];
  const ranges: Range[] = [];
  for (const f of a.findings.filter(f => contains(f.range, pos))) {
    parts.push(findingMarkdown(f, a.callSites));
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
  if (fr) { parts.push(fieldReleaseMarkdown(fr, a.callSites)); ranges.push(fr.range); }
  // a function's name: what it does to its parameters' pages (the lens is cut short)
  const sum = a.summaries.find(x => contains(x.range, pos));
  if (sum && !parts.length) { parts.push(`**${sum.name}()**: ${escapeMd(sum.text.replace(/^\w+\(\): /, ''))}`); ranges.push(sum.range); }
  const w = wordAt(text, pos);
  const api = w && lookupApi(w.word);
  if (w && api && !(site && site.api === w.word)) {
    const what = api.kind === 'acquire' ? `acquires pages: ${modeLabel(api.mode)}` : `releases pages (${api.family} family)`;
    parts.push(`**${api.name}** ${what}  \n${api.doc}` + (api.kind === 'acquire' ? `\n\n${releasedWith(api)}` : ''));
    ranges.push(w.range);
  }
  if (!parts.length) return undefined;
  return { range: innermost(ranges.map(r => ({ range: r })))!.range, markdown: parts.join('\n\n---\n\n') };
}

function innermost<T extends { range: Range }>(xs: T[]): T | undefined {
  return xs.reduce<T | undefined>((best, x) => (!best || size(x.range) < size(best.range) ? x : best), undefined);
}

export function releasedWith(api: AcquireApi): string {
  const rels = releasesFor(api);
  if (!rels.length) return api.mode === 'NONE' ? 'Its pages carry no reference: nothing to release.' : '';
  const names = rels.map(r => `\`${r.name}()\``).join(', ');
  if (api.returns === 'into-bio') return `Released with ${names}, which follows the bio's flags.`;
  if (api.returns === 'into-sg') return `The table's owner releases them with ${names}, only if \`iov_iter_extract_will_pin()\`.`;
  if (api.mode === 'EXTRACT') return `Released with ${names}, only if \`iov_iter_extract_will_pin()\` (kernel-backed iterators hold nothing).`;
  return `Released with ${names}.`;
}

/** Where a fill's pages came from: the acquire on its own line when the store is another statement. */
function fillOrigin(f: FieldFill, sites: CallSite[]): string {
  if (f.file) return `stored on line ${lineNo(f.range)} in \`${f.file}\` (pages from \`${f.api}()\`, ${modeLabel(f.mode)})`;
  const direct = sites.find(c => c.function === f.function && sameRange(c.range, f.range));
  const via = direct ?? sites.find(c => c.function === f.function && c.handoffs.some(h => sameRange(h.range, f.range)))
    ?? sites.find(c => c.function === f.function && c.api === f.api);
  const verb = f.mode === 'PIN' ? 'pinned' : f.mode === 'GET' ? 'referenced' : f.mode === 'EXTRACT' ? 'extracted' : 'taken';
  if (direct || (via && lineNo(via.range) === lineNo(f.range))) return `${verb} and stored on line ${lineNo(f.range)} by \`${f.api}()\``;
  if (via) return `${verb} on line ${lineNo(via.range)} by \`${f.api}()\`, stored on line ${lineNo(f.range)}`;
  return `stored on line ${lineNo(f.range)} (pages from \`${f.api}()\`, ${modeLabel(f.mode)})`;
}

export function fieldReleaseMarkdown(r: FieldReleaseInfo, sites: CallSite[] = []): string {
  const fills = r.fills.map(f => `- \`${f.function}()\`: ${fillOrigin(f, sites)}`
    + (f.flag ? `, with \`${f.flag.field}\` = iov_iter_extract_will_pin() beside them` : ''));
  return `**${r.api}** releases \`${r.field}\` (\`${r.key}\`), which is filled by:\n${fills.join('\n')}`;
}

/**
 * A finding, below the editor's own line with its message (not repeated):
 * the counters before and after the bad step first, what that does to the
 * page, then where the pages came from and the whole path.
 */
export function findingMarkdown(f: Finding, sites: CallSite[] = []): string {
  const lines = [`**pinlens: ${f.code}** (${f.severity})`];
  if (f.counters) {
    const { before, after, consequence } = f.counters;
    lines.push(ledgerTable(before, after));
    if (consequence) lines.push(`*${consequence}*`);
  }
  if (f.acquire) {
    // a field's fill: the acquire may be on another line than the store the finding cites
    const acq = f.acquire;
    const via = sites.some(c => sameRange(c.range, acq.range)) ? undefined
      : sites.find(c => c.api === acq.api && c.handoffs.some(h => sameRange(h.range, acq.range)));
    lines.push(via
      ? `Pages from \`${acq.api}()\` (${modeLabel(acq.mode)}) on line ${lineNo(via.range)}, stored on line ${lineNo(acq.range)}.`
      : `Pages from \`${acq.api}()\` (${modeLabel(acq.mode)}) on line ${lineNo(acq.range)}.`);
  }
  if (f.helper) lines.push(`Relies on the summary of \`${f.helper}\`.`);
  if (f.path.length) lines.push(`The path (${plural(f.path.length, 'step')}):\n` + f.path.map((s, i) => `${i + 1}. line ${lineNo(s.range)}: ${escapeMd(s.note)}`).join('\n'));
  return lines.join('\n\n');
}

function escapeMd(s: string): string {
  return s.replace(/([\\`*_{}[\]<>|])/g, '\\$1');
}

function ledgerTable(b: LedgerState, a: LedgerState): string {
  const row = (name: string, f: (l: LedgerState) => string) => `| ${name} | ${f(b)} | ${f(a)} |`;
  const yes = (x: boolean) => (x ? 'yes' : 'no');
  return [
    `| \`${b.holder}\` | before | after |`,
    '|---|---|---|',
    row('state', l => `${l.state} (${[modeLabel(l.mode), l.count].filter(Boolean).join(', ')})`),
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
  const api = ACQUIRE_BY_NAME.get(cs.api);
  const how = api ? releasedWith(api) : '';
  if (how) lines.push(how);
  const p = cs.paths;
  lines.push(`${plural(p.total, 'simulated path')}: ${p.released} released, ${p.handedOff} handed off, ${p.leaked} leaked, ${p.failed} failed.`);
  if (cs.releases.length) {
    lines.push('Released by:\n' + cs.releases.map(r =>
      `- \`${r.api}\` on line ${lineNo(r.range)}` + (r.viaHelper ? ` (through \`${r.viaHelper}\`)` : '')).join('\n'));
  }
  if (cs.handoffs.length) {
    lines.push('Handed off:\n' + cs.handoffs.map(h => `- line ${lineNo(h.range)}: ${handoffWords(h.kind)}`).join('\n'));
  }
  if (cs.later?.length) {
    lines.push(`Released later, from \`${cs.later[0].field}\`:\n` + cs.later.map(l =>
      `- \`${l.api}\` in \`${l.function}()\` on line ${lineNo(l.range)}` + (l.via ? ` — ${l.via}` : '')).join('\n'));
  }
  return lines.join('\n\n');
}
