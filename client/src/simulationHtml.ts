// The simulation view's HTML, rendered here from plain data (no vscode import,
// so tests can call it). media/ holds only the stylesheet and the small script
// that turns clicks into messages; every value is escaped, nothing remote loads.
import type { LedgerState, Mode, PageCounters, PathStep } from '../../server/src/core/types';
import type { SimulationResult } from '../../server/src/protocol';

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

function counters(c: PageCounters): string {
  return `<td class="num">${c.refcount}</td><td class="num">${c.pincount}</td>`
    + `<td class="flag">${c.maybeDmaPinned ? 'yes' : 'no'}</td>`;
}

function ledgerCells(l: LedgerState | undefined, carried: boolean): string {
  if (!l) return '<td colspan="10" class="none">no pages held yet</td>';
  const cls = carried ? ' class="carried"' : '';
  return `<td${cls}><code>${escapeHtml(l.holder)}</code></td><td${cls}>${escapeHtml(modeText(l.mode))}</td>`
    + `<td${cls}><span class="state state-${escapeHtml(l.state)}">${escapeHtml(l.state)}</span></td>`
    + `<td${cls}><code>${escapeHtml(l.count)}</code></td>`
    + counters(l.small) + counters(l.large);
}

function stepRow(step: PathStep, index: number, ledger: LedgerState | undefined): string {
  const { line, character } = step.range.start;
  const changed = step.ledger !== undefined;
  return `<tr class="step${changed ? ' changed' : ''}" data-line="${line}" data-character="${character}">`
    + `<td class="dot" aria-hidden="true"></td>`
    + `<td class="index">${index + 1}</td>`
    + `<td><button class="line" type="button" data-line="${line}" data-character="${character}" `
    + `title="Reveal line ${line + 1} in the editor">line ${line + 1}</button></td>`
    + `<td class="note">${escapeHtml(step.note)}</td>`
    + ledgerCells(ledger, !changed)
    + '</tr>';
}

/** The whole document. The ledger columns carry forward between steps that leave it unchanged. */
export function renderSimulation(sim: SimulationResult, assets: Assets): string {
  let ledger: LedgerState | undefined;
  const rows = sim.steps.map((s, i) => {
    if (s.ledger) ledger = s.ledger;
    return stepRow(s, i, ledger);
  });
  const final = sim.final
    ? `<tfoot><tr class="final"><td class="dot" aria-hidden="true"></td><td></td><td></td><td class="note">afterwards</td>${ledgerCells(sim.final, false)}</tr></tfoot>`
    : '';
  const meta = [
    `function <code>${escapeHtml(sim.function)}</code>`,
    sim.api ? `acquired by <code>${escapeHtml(sim.api)}</code>` : '',
    sim.mode ? `mode <strong>${escapeHtml(modeText(sim.mode))}</strong>` : '',
    `${sim.steps.length} step${sim.steps.length === 1 ? '' : 's'}`,
  ].filter(Boolean).join(' · ');
  const csp = [
    "default-src 'none'",
    `style-src ${assets.cspSource}`,
    `script-src 'nonce-${assets.nonce}'`,
    `img-src ${assets.cspSource}`,
  ].join('; ');
  const body = sim.steps.length
    ? `<div class="scroll"><table class="timeline">
<thead>
<tr><th rowspan="2" aria-hidden="true"></th><th rowspan="2">#</th><th rowspan="2">where</th><th rowspan="2">step</th>
<th rowspan="2">holder</th><th rowspan="2">mode</th><th rowspan="2">state</th><th rowspan="2">count</th>
<th colspan="3">small folio</th><th colspan="3">large folio</th></tr>
<tr><th>refcount</th><th>pincount</th><th title="folio_maybe_dma_pinned()">dma-pinned</th>
<th>refcount</th><th>pincount</th><th title="folio_maybe_dma_pinned()">dma-pinned</th></tr>
</thead>
<tbody>
${rows.join('\n')}
</tbody>
${final}
</table></div>`
    : '<p class="empty">The analysis recorded no steps for this position.</p>';
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
${body}
<p class="legend">Counters are what this caller contributes to the folio: a pin adds GUP_PIN_COUNTING_BIAS (1024) to a small folio's refcount, and 1 to both refcount and _pincount of a large folio. Click a line to reveal it in the editor.</p>
<script nonce="${assets.nonce}" src="${escapeHtml(assets.scriptUri)}"></script>
</body>
</html>`;
}
