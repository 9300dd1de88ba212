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
import {
  ARTIFACTS, BASE_SETTINGS, Profile, Server, buildVsix, e2eEnvOrSkip, freshProfile, installExtension, openWorkbench, quickOpen, runCommand, startCodeServer,
} from './harness';

const FIXTURE = path.join(__dirname, '..', 'index', 'trees', 'agree');
const FILE = 'drivers/xa/xa_release.c';
const LINES = fs.readFileSync(path.join(FIXTURE, FILE), 'utf8').split('\n');
/** 1-based line of the put_page() of the pinned ring. */
const LINE = LINES.findIndex(l => /^\s*put_page\(r->pages\[i\]\);/.test(l)) + 1;

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
    profile = freshProfile(FIXTURE, BASE_SETTINGS);
    installExtension(found, profile, vsix);
    server = await startCodeServer(found, profile);
    ({ browser, page } = await openWorkbench(found, profile, server, 60_000));
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
    await runCommand(page, 'Problems: Focus on Problems View');
    await page.locator('.markers-panel').waitFor();
  }

  it('Check Workspace reports the teardown finding of a file that is not open', async () => {
    // the extension activates on a C or patch document: open the file that fills the fields, not the teardown
    await quickOpen(page, 'xa_map.c');
    await page.locator('.editor-instance .monaco-editor .view-lines', { hasText: 'pin_user_pages_fast' }).waitFor();

    await runCommand(page, 'pinlens: Check Workspace');
    await page.locator('.notification-toast', { hasText: 'pinlens: 2 files, 2 call sites, 1 finding' }).first().waitFor();
    await showProblems();
    await problemRows().first().waitFor();
    assert.strictEqual(await problemRows().count(), 1);
    assert.match(await problemRows().first().innerText(), new RegExp(`xa_ring_map\\(\\)[\\s\\S]*\\[Ln ${LINE}, Col 3\\]`));
    await page.screenshot({ path: path.join(ARTIFACTS, 'e2e-agreement-check-workspace.png') });
  });

  it('opening the file shows the same finding on the same line, and the Problems view still one row', async () => {
    await quickOpen(page, 'xa_release.c');
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
