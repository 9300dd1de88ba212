// Checks that need no editor: the manifest agrees with the code it describes,
// and the simulation view's HTML is escaped and locked down.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { renderSimulation } from '../../../client/src/simulationHtml';
import { CODES, LedgerState } from '../../src/core/types';
import { RevealReleasesCommand, ShowSimulationCommand, SimulationResult } from '../../src/protocol';
import { ROOT } from './harness';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

describe('extension manifest', () => {
  const props = pkg.contributes.configuration.properties;

  it('offers exactly the finding codes of the core in the settings', () => {
    assert.deepStrictEqual([...props['pinlens.disabledCodes'].items.enum].sort(), [...CODES].sort());
    assert.deepStrictEqual([...props['pinlens.severity'].propertyNames.enum].sort(), [...CODES].sort());
    assert.deepStrictEqual(Object.keys(props['pinlens.severity'].properties).sort(), [...CODES].sort());
  });

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
  const sim: SimulationResult = {
    title: 'mismatched-release: <script>alert(1)</script>', function: 'f', api: 'pin_user_pages_fast', mode: 'PIN',
    steps: [
      { range: { start: { line: 19, character: 1 }, end: { line: 19, character: 9 } }, note: 'pin_user_pages_fast pins ret pages', ledger },
      { range: { start: { line: 20, character: 1 }, end: { line: 20, character: 9 } }, note: 'ret >= 0 & "x"' },
    ],
    final: { ...ledger, state: 'released' },
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
    const rows = html.match(/<tr class="step[^"]*" data-line="(\d+)"/g) ?? [];
    assert.deepStrictEqual(rows.map(r => /data-line="(\d+)"/.exec(r)![1]), ['19', '20']);
    assert.ok(html.includes('>line 20<') && html.includes('>line 21<'));
    assert.strictEqual((html.match(/<td class="num">1024<\/td>/g) ?? []).length, 3); // two steps + final
    assert.ok(html.includes('class="carried"'));
  });
});
