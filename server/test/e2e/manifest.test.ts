// Checks that need no editor: the manifest agrees with the code it describes,
// and the simulation view's HTML is escaped and locked down.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { renderSimulation } from '../../../client/src/simulationHtml';
import type { LedgerState } from '../../src/core/types';
import { RevealReleasesCommand, ShowSimulationCommand, SimulationPath, SimulationResult } from '../../src/protocol';
import { ROOT } from './harness';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

describe('extension manifest', () => {
  const props = pkg.contributes.configuration.properties;

  it('declares the settings the server reads, with the core defaults', () => {
    assert.deepStrictEqual(props['pinlens.kernelVersion'].enum, ['auto', '6.1', '6.12']);
    assert.strictEqual(props['pinlens.maxFileSize'].default, 2_000_000);
    assert.strictEqual(props['pinlens.pathBudget'].default, 4096);
  });

  it('contributes the commands the server puts into code lenses', () => {
    const ids = pkg.contributes.commands.map((c: { command: string }) => c.command);
    for (const id of [ShowSimulationCommand, RevealReleasesCommand, 'pinlens.checkWorkspace']) assert.ok(ids.includes(id), id);
  });

  it('activates on C and patches, runs untrusted, targets VS Code up to 1.139', () => {
    assert.ok(pkg.activationEvents.includes('onLanguage:c'));
    assert.ok(pkg.activationEvents.includes('onLanguage:pinlens-patch'));
    assert.strictEqual(pkg.capabilities.untrustedWorkspaces.supported, true);
    assert.strictEqual(pkg.main, './out/client.js');
    const [major, minor] = /(\d+)\.(\d+)/.exec(pkg.engines.vscode)!.slice(1).map(Number);
    assert.ok(major === 1 && minor <= 139, pkg.engines.vscode);
  });
});

describe('simulation view HTML', () => {
  const counters = { refcount: 1024, pincount: 0, maybeDmaPinned: true };
  const ledger: LedgerState = {
    holder: 'pages', mode: 'PIN', state: 'held', count: 'ret',
    small: counters, large: { refcount: 1, pincount: 1, maybeDmaPinned: true },
  };
  const extracted: LedgerState = {
    holder: 'pages', mode: 'EXTRACT', state: 'held', count: 'n',
    small: { refcount: 0, pincount: 0, maybeDmaPinned: false }, large: { refcount: 0, pincount: 0, maybeDmaPinned: false },
  };
  const r = (line: number) => ({ start: { line, character: 1 }, end: { line, character: 9 } });
  const failing: SimulationPath = {
    label: 'mismatched-release at line 21', code: 'mismatched-release', message: 'put_page() on pinned pages', consequence: 'the pin is never dropped',
    steps: [
      { range: r(19), note: 'pin_user_pages_fast pins ret pages', ledger },
      { range: r(20), note: 'ret >= 0 & "x"', decides: true },
      { range: r(21), note: 'put_page()', flagged: true, ledger: { ...ledger, state: 'released with the wrong family', small: { refcount: 1023, pincount: 0, maybeDmaPinned: true } } },
    ],
  };
  const other: SimulationPath = {
    label: 'a path that releases them',
    steps: [{ range: r(30), note: 'iov_iter_extract_pages()', ledger: extracted, ifPinned: { ...extracted, mode: 'PIN', small: { refcount: 1024, pincount: 0, maybeDmaPinned: true } } }],
  };
  const sim: SimulationResult = {
    title: 'mismatched-release: <script>alert(1)</script>', function: 'f', api: 'pin_user_pages_fast', mode: 'PIN',
    steps: failing.steps, final: { ...ledger, state: 'released' }, paths: [failing, other],
  };
  const html = renderSimulation(sim, { cspSource: 'vscode-resource:', styleUri: 'vscode-resource:/s.css', scriptUri: 'vscode-resource:/s.js', nonce: 'abc' });

  it('escapes the text it shows', () => {
    assert.ok(!html.includes('<script>alert'));
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(html.includes('ret &gt;= 0 &amp; &quot;x&quot;'));
  });

  it('loads nothing but its own assets', () => {
    assert.match(html, /default-src 'none'; style-src vscode-resource:; script-src 'nonce-abc'/);
    assert.deepStrictEqual(html.match(/<script[^>]*>/g), ['<script nonce="abc" src="vscode-resource:/s.js">']);
    assert.ok(!/https?:\/\//.test(html));
  });

  it('draws one row per step with its line and the ledger carried forward', () => {
    const first = html.slice(html.indexOf('<section class="path" data-index="0"'), html.indexOf('<section class="path" data-index="1"'));
    const rows = first.match(/<tr class="step[^"]*" data-line="(\d+)"/g) ?? [];
    assert.deepStrictEqual(rows.map(x => /data-line="(\d+)"/.exec(x)![1]), ['19', '20', '21']);
    assert.ok(first.includes('>line 20<') && first.includes('>line 21<'));
    assert.strictEqual((first.match(/>\+1024<\/td>/g) ?? []).length, 2); // the acquire, carried to the branch
    assert.ok(first.includes('carried'));
  });

  it('highlights the step that breaks the rule and says what it does', () => {
    assert.match(html, /<tr class="step changed flagged" data-line="21"[^>]*aria-current="step"/);
    assert.match(html, /breaks the rule/);
    assert.match(html, /class="consequence">the pin is never dropped</);
  });

  it('offers every path in a picker, the failing one first and shown', () => {
    assert.match(html, /<select id="path-picker"><option value="0" selected>1\. mismatched-release at line 21 \(3 steps\)<\/option><option value="1">2\. a path that releases them/);
    assert.match(html, /<section class="path" data-index="0">/);
    assert.match(html, /<section class="path" data-index="1" hidden>/);
  });

  it('shows both counters of extracted pages whose iterator is not decided', () => {
    assert.match(html, /<span title="kernel-backed iterator">0<\/span> <span class="or">or<\/span> <span title="user-backed iterator \(pinned\)">\+1024<\/span>/);
  });
});
