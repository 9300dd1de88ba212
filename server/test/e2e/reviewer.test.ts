// The editor tried as a reviewer would, in code-server driven by Chromium:
// the status bar while the folder is indexed, the Output channel's log, the
// Problems rows of a finding, the hover, the simulation view (failing path
// first, the bad step highlighted, a path picker, a half-width pane) and a
// quick fix in a patch document. Every wait is on the DOM, with a deadline;
// nothing sleeps. Needs scripts/e2e-setup.sh, like vscode.test.ts.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import {
  ARTIFACTS, BASE_SETTINGS, E2eEnv, Profile, Server, buildVsix, e2eEnvOrSkip, freshProfile, hoverOver, installExtension, openWorkbench, quickOpen,
  runCommand, startCodeServer,
} from './harness';

const FIXTURE = path.join(__dirname, 'review-workspace');
const HASH = 'drivers/pinhash.c';
const HASH_LINES = fs.readFileSync(path.join(FIXTURE, HASH), 'utf8').split('\n');
const UNPIN_LINE = HASH_LINES.findIndex(l => /^\s*unpin_user_page\(pages\[i\]\);/.test(l));
const EXTRACT_LINE = HASH_LINES.findIndex(l => /iov_iter_extract_pages\(/.test(l));
const PATCH = 'patches/0001-pinfill-add-pinfill_get.patch';
/** Other C files in the folder, so that its index takes long enough to be seen being built. */
const FILLER_FILES = 600;

const SETTINGS = {
  ...BASE_SETTINGS,
  'editor.hover.delay': 200,
  'files.associations': { '*.patch': 'diff' },
};

const WAIT = 60_000;

describe('the editor, tried as a reviewer would (code-server + Chromium)', function () {
  this.timeout(300_000);

  let env: E2eEnv;
  let profile: Profile;
  let server: Server | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let shot = 0;
  const consoleLines: string[] = [];

  async function screenshot(name: string): Promise<void> {
    await page.screenshot({ path: path.join(ARTIFACTS, `review-${String(++shot).padStart(2, '0')}-${name}.png`) });
  }

  const editor = () => page.locator('.editor-instance .monaco-editor').first();
  const status = () => page.locator('.statusbar-item', { hasText: 'pinlens' });

  /** Puts the cursor on a 0-based line (and 1-based column) through Go to Line, and waits for the status bar to say so. */
  async function goToLine(line: number, column?: number): Promise<void> {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+1');
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(column === undefined ? `:${line + 1}` : `:${line + 1}:${column}`);
    await page.keyboard.press('Enter');
    await input.waitFor({ state: 'hidden' });
    // the status bar counts a tab as several columns: wait for the line only
    await page.locator('.statusbar-item', { hasText: `Ln ${line + 1},` }).waitFor();
  }

  before(async function () {
    const found = e2eEnvOrSkip();
    // skipped (off CI only) when the editor environment is not there: e2eEnvOrSkip() printed why
    if (!found) return this.skip();
    env = found;
    assert.ok(UNPIN_LINE > 0 && EXTRACT_LINE > 0, 'fixture lines found');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    for (const f of fs.readdirSync(ARTIFACTS)) if (f.startsWith('review-')) fs.rmSync(path.join(ARTIFACTS, f), { recursive: true });
    const vsix = buildVsix();
    profile = freshProfile(FIXTURE, SETTINGS);
    const gen = path.join(profile.workspace, 'gen');
    fs.mkdirSync(gen);
    for (let i = 0; i < FILLER_FILES; i++) {
      fs.writeFileSync(path.join(gen, `gen${i}.c`), `int gen_${i}(int x)\n{\n\treturn x + ${i};\n}\n`);
    }
    installExtension(env, profile, vsix);
    server = await startCodeServer(env, profile);
    ({ browser, page } = await openWorkbench(env, profile, server, WAIT, consoleLines));
    // every text the pinlens status item shows, in order, as the DOM changes
    // (a string: the test is compiled without the DOM's types)
    await page.evaluate(`(() => {
      const seen = [];
      window.pinlensStatus = seen;
      const record = () => {
        for (const el of document.querySelectorAll('.statusbar-item')) {
          const t = el.innerText.trim();
          if (/pinlens/.test(t) && seen[seen.length - 1] !== t) seen.push(t);
        }
      };
      new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    })()`);
    // the first file: its finding needs a helper of another file, known once the folder is indexed
    await quickOpen(page, 'pinuser.c');
    await status().filter({ hasText: '1 call site, 1 finding' }).waitFor();
  });

  let failed = false;
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      failed = true;
      await screenshot(`failed-${this.currentTest.title.replace(/\W+/g, '-')}`).catch(() => undefined);
    }
  });

  after(async function () {
    await browser?.close().catch(() => undefined);
    server?.stop();
    if (profile && failed) {
      const dest = path.join(ARTIFACTS, 'review-logs');
      fs.rmSync(dest, { recursive: true, force: true });
      fs.cpSync(path.join(profile.userData, 'logs'), dest, { recursive: true });
      fs.copyFileSync(path.join(profile.dir, 'code-server.log'), path.join(dest, 'code-server.log'));
      fs.writeFileSync(path.join(dest, 'browser-console.log'), consoleLines.join('\n') + '\n');
      console.log(`      logs of the failed run: ${dest}`);
    }
  });

  it('says "indexing" in the status bar while the folder is indexed, never a clean verdict', async function () {
    const seen = await page.evaluate('window.pinlensStatus') as string[];
    assert.ok(seen.some(t => /pinlens: indexing/.test(t)), seen.join('\n'));
    assert.ok(!seen.some(t => /0 findings/.test(t)), `a clean verdict was shown: ${seen.join(' | ')}`);
    assert.match(seen[seen.length - 1], /1 call site, 1 finding/);
  });

  it('logs what it analysed, the index and its cache in the Output channel', async function () {
    await runCommand(page, 'pinlens: Show Output');
    const out = page.locator('.part.panel .monaco-editor .view-lines');
    // the channel holds the LSP trace too, which soon pushes the log lines out of view: they are
    // read only through its filter (the panel's: cleared after), once the Output view is shown
    const filter = page.locator('.part.panel .viewpane-filter input:visible').first();
    await filter.waitFor();
    // (the lines wrap at the panel's width: any space may be a line break)
    const shows = async (what: string, line: RegExp): Promise<void> => {
      await filter.fill(what);
      await out.filter({ hasText: new RegExp(line.source.replace(/ /g, '\\s+')) }).waitFor();
    };
    try {
      await shows('indexed', /indexed \S+ in \d+ ms: \d+ C files \([\d.]+ (?:KB|MB)\) scanned in \d+ ms, \d+ reused from the cache/);
      await shows('analysed file', /analysed file:\/\/\S+pinuser\.c v1 in [\d.]+ ms: 1 function, 1 call site, 1 finding; 1 helper summary from other files; index cache:/);
      await screenshot('output');
    } finally {
      await filter.fill('');
    }
  });

  it('keeps a finding to a few rows in Problems, the steps in words', async function () {
    await quickOpen(page, 'pinhash.c');
    // (until the item updates it may still show pinuser.c's count: the rows below are what
    // prove pinhash.c's finding arrived)
    await status().filter({ hasText: /pinlens: (?:\d+ call sites?, )?1 finding/ }).waitFor();
    // the click goes to the item's label itself, not to a point on the screen: the item's
    // width changes as its text does, and a click at a stale point opens a neighbour's view
    await status().locator('.statusbar-item-label').dispatchEvent('click');
    await page.locator('.markers-panel').waitFor();
    // the panel's filter box may still hold what the Output test typed into it: clear it, and
    // wait until the view says it shows every problem
    await page.locator('.part.panel .viewpane-filter input:visible').first().fill('');
    await page.locator('.part.panel .viewpane-filter', { hasText: /Showing \d+ of/ }).waitFor({ state: 'detached' });
    const rows = page.locator('.markers-panel .monaco-list-row');
    await rows.filter({ hasText: 'release-without-reference' }).first().waitFor();
    await rows.filter({ hasText: 'iov_iter_is_kvec(iter) is true' }).first().waitFor();
    // the rows of pinhash.c's group: the file (level 1), then its finding and steps until the next file
    const all = await rows.evaluateAll(els => els.map(e => ({ level: e.getAttribute('aria-level'), text: (e as unknown as { innerText: string }).innerText })));
    const start = all.findIndex(r => r.level === '1' && /pinhash\.c/.test(r.text));
    assert.ok(start >= 0, JSON.stringify(all));
    let end = start + 1;
    while (end < all.length && all[end].level !== '1') end++;
    const texts = all.slice(start, end).map(r => r.text);
    // the file, the finding, and at most four steps
    assert.ok(texts.length >= 4 && texts.length <= 6, texts.join('\n---\n'));
    assert.ok(!texts.some(t => /!\(\(|unlikely\(/.test(t)), texts.join('\n---\n'));
    await screenshot('problems');
  });

  it('hovers the finding with its counters first and the acquire with how to release its pages', async function () {
    await goToLine(UNPIN_LINE);
    const squiggle = editor().locator('.squiggly-error').first();
    const hover = await hoverOver(page, squiggle, 'The path', WAIT);
    const text = await hover.innerText();
    assert.ok(text.indexOf('small folio: refcount') < text.indexOf('The path'), text);
    assert.match(text, /shm was allocated/);
    assert.match(text, /len > 0/);
    await screenshot('hover-finding');
    await page.keyboard.press('Escape');
    await page.mouse.move(5, 5);
    await hover.waitFor({ state: 'hidden' });
    await goToLine(EXTRACT_LINE);
    const call = editor().locator('.view-line span span', { hasText: /^iov_iter_extract_pages$/ }).first();
    const acq = await hoverOver(page, call, 'Released with', WAIT);
    assert.match(await acq.innerText(), /Released with unpin_user_page\(\), unpin_user_pages\(\)[^\n]*only if iov_iter_extract_will_pin\(\)/);
    await page.keyboard.press('Escape');
    await page.mouse.move(5, 5);
  });

  it('shows the failing path in the simulation view, the bad step highlighted, other paths in a picker, in half a window', async function () {
    await editor().locator('.codelens-decoration a', { hasText: 'bad release' }).first().click();
    const webview: FrameLocator = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    const shown = webview.locator('section.path:not([hidden])');
    await shown.locator('tr.step').first().waitFor();
    const notes = await shown.locator('td.note').allInnerTexts();
    assert.ok(notes.includes('iov_iter_is_kvec(iter) is true'), notes.join('\n'));
    assert.ok(notes.includes('len > 0') && notes.includes('shm was allocated'), notes.join('\n'));
    const flagged = shown.locator('tr.flagged');
    assert.strictEqual(await flagged.count(), 1);
    assert.strictEqual(await flagged.getAttribute('data-line'), String(UNPIN_LINE));
    assert.match(await flagged.innerText(), /breaks the rule[\s\S]*-1024/);
    // the kvec test decided the pages hold nothing
    assert.match(await shown.locator('tr.step', { hasText: 'iov_iter_is_kvec(iter) is true' }).innerText(), /no reference/);
    // extracted pages before that: both counters
    assert.match(await shown.locator('tr.step', { hasText: 'iov_iter_extract_pages()' }).innerText(), /0\s+or\s+\+1024/);
    const options = await webview.locator('#path-picker option').allInnerTexts();
    assert.ok(options.length >= 2, options.join('\n'));
    assert.match(options[0], /release-without-reference at line \d+/);
    await screenshot('simulation');
    // the other path, from the picker
    await webview.locator('#path-picker').selectOption('1');
    await webview.locator('section.path[data-index="1"]:not([hidden]) tr.step').first().waitFor();
    await webview.locator('#path-picker').selectOption('0');
    await webview.locator('section.path[data-index="0"]:not([hidden]) tr.flagged').waitFor();
    // half a window: the view is at most about 550px wide, nothing scrolls sideways
    await page.setViewportSize({ width: 1100, height: 1000 });
    const body = webview.locator('body');
    await body.waitFor();
    // the webview's own resize event, once it is narrow
    await body.evaluate(el => new Promise<void>(resolve => {
      const w = el.ownerDocument.defaultView as unknown as { innerWidth: number; addEventListener(e: string, f: () => void): void; removeEventListener(e: string, f: () => void): void };
      if (w.innerWidth <= 600) { resolve(); return; }
      w.addEventListener('resize', function narrow() { if (w.innerWidth <= 600) { w.removeEventListener('resize', narrow); resolve(); } });
    }));
    const m = await body.evaluate(el => ({ w: el.ownerDocument.documentElement.scrollWidth, c: el.ownerDocument.documentElement.clientWidth }));
    assert.ok(m.c <= 600, `the pane is ${m.c}px wide`);
    assert.ok(m.w <= m.c + 1, `the view scrolls sideways: ${m.w} > ${m.c}`);
    await screenshot('simulation-half-width');
    await page.setViewportSize({ width: 1600, height: 1000 });
  });

  it('fixes a leak in a patch document by editing its + lines', async function () {
    await page.keyboard.press('Control+1');
    await quickOpen(page, path.basename(PATCH));
    const lines = fs.readFileSync(path.join(FIXTURE, PATCH), 'utf8').split('\n');
    const leakLine = lines.findIndex(l => l === '+\t\treturn -EFAULT;');
    // the cursor inside `return` through Go to Line, not a click at a point taken while the editor scrolls
    await goToLine(leakLine, lines[leakLine].indexOf('return') + 3);
    await editor().locator('.squiggly-warning').first().waitFor();
    const fix = page.locator('.action-widget .monaco-list-row', { hasText: 'Release pages with unpin_user_pages() before this return' }).first();
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('Control+.');
      try {
        await fix.waitFor({ timeout: attempt < 4 ? 10_000 : WAIT });
        break;
      } catch (e) {
        if (attempt >= 4) throw e;
        await page.keyboard.press('Escape');
      }
    }
    await screenshot('patch-quick-fix');
    await fix.click();
    await editor().locator('.view-lines', { hasText: '@@ -0,0 +1,19 @@' }).waitFor();
    await editor().locator('.view-lines', { hasText: 'unpin_user_pages(pages, got);' }).waitFor();
    // the finding goes: the patch still applies and no longer leaks
    await editor().locator('.squiggly-warning').first().waitFor({ state: 'detached' });
    await screenshot('patch-fixed');
  });
});
