// Check Workspace and the open file agree on a finding only another file can
// tell (index/trees/agree: a teardown put_page()s a field that another file
// of its folder pins). In code-server with the packaged extension, driven by
// Chromium: Check Workspace first, the file never opened — its finding is in
// the Problems view; then the file opened — the same finding, squiggled on
// the same line, and still one row. Every wait is on the DOM; nothing sleeps.
// Needs scripts/e2e-setup.sh, like vscode.test.ts (skipped the same way).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, Profile, Server, buildVsix, e2eEnvOrSkip, freshProfile, installExtension, startCodeServer } from './harness';

const FIXTURE = path.join(__dirname, '..', 'index', 'trees', 'agree');
const FILE = 'drivers/xa/xa_release.c';
const LINES = fs.readFileSync(path.join(FIXTURE, FILE), 'utf8').split('\n');
/** 1-based line of the put_page() of the pinned ring. */
const LINE = LINES.findIndex(l => /^\s*put_page\(r->pages\[i\]\);/.test(l)) + 1;

const SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': 'off',
  'chat.disableAIFeatures': true,
  'editor.minimap.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.untrustedFiles': 'open',
};

describe('VS Code extension: Check Workspace and the open file agree on a cross-file field', function () {
  this.timeout(240_000);
  let profile: Profile | undefined;
  let server: Server | undefined;
  let browser: Browser | undefined;
  let page: Page;

  before(async function () {
    const found = e2eEnvOrSkip();
    // skipped (off CI only) when the editor environment is not there: e2eEnvOrSkip() printed why
    if (!found) return this.skip();
    assert.ok(LINE > 0, 'the fixture has the put_page() of the ring');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const vsix = buildVsix();
    profile = freshProfile(FIXTURE, SETTINGS);
    installExtension(found, profile, vsix);
    server = await startCodeServer(found, profile);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: found.chromium, headless: true, env: profile.env,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.setDefaultTimeout(60_000);
    await page.goto(`${server.url}/?folder=${encodeURIComponent(profile.workspace)}`);
    await page.locator('.monaco-workbench').waitFor();
    await page.locator('.part.editor').click({ position: { x: 300, y: 300 } });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      await page.screenshot({ path: path.join(ARTIFACTS, `e2e-agreement-failed-${this.currentTest.title.replace(/\W+/g, '-')}.png`) }).catch(() => undefined);
    }
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    server?.stop();
  });

  /** The Problems view's rows of mismatched-release findings. */
  const problemRows = () => page.locator('.markers-panel .monaco-list-row', { hasText: 'mismatched-release' });

  /** Shows the Problems view through the command palette (a key toggles it). */
  async function showProblems(): Promise<void> {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+P');
    const quick = page.locator('.quick-input-widget input');
    await quick.waitFor();
    await quick.fill('>Problems: Focus on Problems View');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Focus on Problems View' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.markers-panel').waitFor();
  }

  it('Check Workspace reports the teardown finding of a file that is not open', async () => {
    // the extension activates on a C or patch document: open the file that fills the fields, not the teardown
    await page.keyboard.press('Control+P');
    const quick = page.locator('.quick-input-widget input');
    await quick.waitFor();
    await quick.fill('xa_map.c');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'xa_map.c' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.editor-instance .monaco-editor .view-lines', { hasText: 'pin_user_pages_fast' }).waitFor();

    await page.keyboard.press('Control+Shift+P');
    await quick.waitFor();
    await quick.fill('>pinlens: Check Workspace');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Check Workspace' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.notification-toast', { hasText: 'pinlens: 2 files, 2 call sites, 1 finding' }).first().waitFor();
    await showProblems();
    await problemRows().first().waitFor();
    assert.strictEqual(await problemRows().count(), 1);
    assert.match(await problemRows().first().innerText(), new RegExp(`xa_ring_map\\(\\)[\\s\\S]*\\[Ln ${LINE}, Col 3\\]`));
    await page.screenshot({ path: path.join(ARTIFACTS, 'e2e-agreement-check-workspace.png') });
  });

  it('opening the file shows the same finding on the same line, and the Problems view still one row', async () => {
    await page.keyboard.press('Control+P');
    const quick = page.locator('.quick-input-widget input');
    await quick.waitFor();
    await quick.fill('xa_release.c');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'xa_release.c' }).first().waitFor();
    await page.keyboard.press('Enter');
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.locator('.view-lines', { hasText: 'xa_ring_release' }).waitFor();
    await editor.locator('.squiggly-error').first().waitFor();
    // the status bar counts the open file's findings
    await page.locator('.statusbar-item', { hasText: 'pinlens:' }).filter({ hasText: '1 finding' }).waitFor();
    await showProblems();
    await problemRows().first().waitFor();
    assert.strictEqual(await problemRows().count(), 1);
    assert.match(await problemRows().first().innerText(), new RegExp(`xa_ring_map\\(\\)[\\s\\S]*\\[Ln ${LINE}, Col 3\\]`));
    await page.screenshot({ path: path.join(ARTIFACTS, 'e2e-agreement-open-file.png') });
  });
});
