// The simulation view's HTML, rendered here from plain data (no vscode import,
// so tests can call it). media/ holds only the stylesheet and the small script
// that switches paths and turns clicks into messages; every value is escaped,
// nothing remote loads.
//
// The view tells the story of a finding: what goes wrong (the consequence),
// then the path that breaks the rule step by step with the page's counters
// after each step, the bad step highlighted. A picker switches between the
// paths the server sent (the failing one first). The layout fits a half-width
// pane: below 700px each step becomes a card with its cells labelled.
import type { LedgerState, Mode, PageCounters } from '../../server/src/core/types';
import type { SimulationPath, SimulationResult, SimulationStep } from '../../server/src/protocol';

export interface Assets {
  /** the webview's cspSource (who may serve styles and scripts). */
  cspSource: string;
  styleUri: string;
  scriptUri: string;
  nonce: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));
}

function modeText(mode: Mode | undefined): string {
  switch (mode) {
    case 'GET': return 'FOLL_GET';
    case 'PIN': return 'FOLL_PIN';
    case 'EXTRACT': return 'FOLL_PIN if user-backed';
    case 'NONE': return 'no reference';
    case 'UNKNOWN': return 'unknown';
    default: return '';
  }
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

/** A counter, or both of them when the backing is not known yet (kernel-backed / user-backed). */
function both(f: (l: LedgerState) => string, l: LedgerState, pinned: LedgerState | undefined): string {
  const k = f(l);
  if (!pinned) return escapeHtml(k);
  const u = f(pinned);
  return k === u ? escapeHtml(k) : `<span title="kernel-backed iterator">${escapeHtml(k)}</span> <span class="or">or</span> <span title="user-backed iterator (pinned)">${escapeHtml(u)}</span>`;
}

const small = (c: PageCounters) => signed(c.refcount);
const yes = (x: boolean) => (x ? 'yes' : 'no');

function ledgerCells(l: LedgerState | undefined, pinned: LedgerState | undefined, carried: boolean): string {
  if (!l) return '<td colspan="4" class="none" data-label="pages">no pages held yet</td>';
  const cls = carried ? ' carried' : '';
  const state = l.state;
  const detail = [modeText(l.mode), l.count].filter(Boolean).join(' · ');
  return `<td class="pages${cls}" data-label="pages"><code>${escapeHtml(l.holder)}</code> `
    + `<span class="state state-${escapeHtml(l.state.split(' ')[0])}">${escapeHtml(state)}</span>`
    + (detail ? `<br><span class="detail">${escapeHtml(detail)}</span>` : '') + '</td>'
    + `<td class="num${cls}" data-label="small folio refcount">${both(x => small(x.small), l, pinned)}</td>`
    + `<td class="num${cls}" data-label="large folio refcount / _pincount">${both(x => `${signed(x.large.refcount)} / ${x.large.pincount}`, l, pinned)}</td>`
    + `<td class="flag${cls}" data-label="dma-pinned">${both(x => yes(x.small.maybeDmaPinned || x.large.maybeDmaPinned), l, pinned)}</td>`;
}

function stepRow(step: SimulationStep, index: number, ledger: LedgerState | undefined, pinned: LedgerState | undefined): string {
  const { line, character } = step.range.start;
  const changed = step.ledger !== undefined;
  const cls = ['step', changed ? 'changed' : '', step.flagged ? 'flagged' : '', step.decides ? 'decides' : ''].filter(Boolean).join(' ');
  return `<tr class="${cls}" data-line="${line}" data-character="${character}"${step.flagged ? ' aria-current="step"' : ''}>`
    + `<td class="index" data-label="#">${index + 1}</td>`
    + `<td class="where" data-label="where"><button class="line" type="button" data-line="${line}" data-character="${character}" `
    + `title="Reveal line ${line + 1} in the editor">line ${line + 1}</button></td>`
    + `<td class="note" data-label="step">${step.flagged ? '<span class="badge">breaks the rule</span> ' : ''}${escapeHtml(step.note)}</td>`
    + ledgerCells(ledger, pinned, !changed)
    + '</tr>';
}

function pathSection(p: SimulationPath, index: number, selected: boolean): string {
  let ledger: LedgerState | undefined, pinned: LedgerState | undefined;
  const rows = p.steps.map((s, i) => {
    if (s.ledger) { ledger = s.ledger; pinned = s.ifPinned; }
    return stepRow(s, i, ledger, pinned);
  });
  const story = p.message
    ? `<div class="story${p.code ? ' broken' : ''}"><p class="what"><strong>${escapeHtml(p.code ?? '')}</strong> ${escapeHtml(p.message)}</p>`
      + (p.consequence ? `<p class="consequence">${escapeHtml(p.consequence)}</p>` : '') + '</div>'
    : '';
  const table = p.steps.length
    ? `<table class="timeline">
<thead>
<tr><th>#</th><th>where</th><th>step</th><th>pages</th>
<th class="num" title="a small folio's refcount">small: ref</th><th class="num" title="a large folio's refcount / _pincount">large: ref / pin</th><th class="flag" title="folio_maybe_dma_pinned()">dma-pinned</th></tr>
</thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`
    : '<p class="empty">The analysis recorded no steps for this path.</p>';
  return `<section class="path" data-index="${index}"${selected ? '' : ' hidden'}>
${story}
${table}
</section>`;
}

/** The whole document: one section per path, the first shown. */
export function renderSimulation(sim: SimulationResult, assets: Assets): string {
  const paths: SimulationPath[] = sim.paths?.length ? sim.paths : [{ label: sim.title, steps: sim.steps, final: sim.final }];
  const meta = [
    `function <code>${escapeHtml(sim.function)}</code>`,
    sim.api ? `pages from <code>${escapeHtml(sim.api)}</code>` : '',
    sim.mode ? `<strong>${escapeHtml(modeText(sim.mode))}</strong>` : '',
  ].filter(Boolean).join(' · ');
  const picker = paths.length > 1
    ? `<p class="picker"><label for="path-picker">Path</label> <select id="path-picker">${paths.map((p, i) =>
      `<option value="${i}"${i === 0 ? ' selected' : ''}>${escapeHtml(`${i + 1}. ${p.label} (${p.steps.length} step${p.steps.length === 1 ? '' : 's'})`)}</option>`).join('')}</select></p>`
    : `<p class="picker single">${escapeHtml(paths[0].label)} · ${paths[0].steps.length} step${paths[0].steps.length === 1 ? '' : 's'}</p>`;
  const csp = [
    "default-src 'none'",
    `style-src ${assets.cspSource}`,
    `script-src 'nonce-${assets.nonce}'`,
    `img-src ${assets.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(assets.styleUri)}">
<title>${escapeHtml(sim.title)}</title>
</head>
<body>
<h1 class="title">${escapeHtml(sim.title)}</h1>
<p class="meta">${meta}</p>
${picker}
${paths.map((p, i) => pathSection(p, i, i === 0)).join('\n')}
<p class="legend">Counters are what this caller contributes to the folio: a pin adds GUP_PIN_COUNTING_BIAS (1024) to a small folio's refcount, and 1 to both refcount and _pincount of a large folio; a negative count takes what other users hold. Extracted pages whose iterator the path has not tested show both cases: kernel-backed (no reference) or user-backed (pinned). Click a line to reveal it in the editor.</p>
<script nonce="${assets.nonce}" src="${escapeHtml(assets.scriptUri)}"></script>
</body>
</html>`;
}
