// What the editor end-to-end suites share: finding
// the environment scripts/e2e-setup.sh installed, packaging the extension,
// starting code-server on a fresh profile, waiting on its output, and opening
// its workbench in Chromium with the few steps every suite takes (Quick Open,
// the command palette).
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Locator, Page } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const E2E_DIR = path.join(ROOT, '.e2e');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

export interface E2eEnv {
  /** Node 24, which code-server requires. */
  node: string;
  /** code-server's out/node/entry.js */
  codeServer: string;
  chromium: string;
}

/** The environment from .e2e/setup.json, or why it is not usable. */
export function findEnv(): { env: E2eEnv } | { missing: string } {
  const setup = path.join(E2E_DIR, 'setup.json');
  let raw: Partial<E2eEnv>;
  try {
    raw = JSON.parse(fs.readFileSync(setup, 'utf8'));
  } catch {
    return { missing: 'no .e2e/setup.json: run `bash scripts/e2e-setup.sh` (installs Node 24, code-server and chromium)' };
  }
  const env: E2eEnv = {
    node: path.resolve(ROOT, raw.node ?? ''),
    codeServer: path.resolve(ROOT, raw.codeServer ?? ''),
    chromium: raw.chromium ?? '',
  };
  for (const [what, file] of Object.entries(env)) {
    if (!file || !fs.existsSync(file)) return { missing: `${what} not found at '${file}': run \`bash scripts/e2e-setup.sh\` again` };
  }
  try {
    require.resolve('playwright-core');
  } catch {
    return { missing: 'playwright-core is not installed: run `npm ci`' };
  }
  return { env };
}

/** Builds the bundles and packages the .vsix; returns its path. */
/**
 * The editor environment, or undefined when the suite must skip: off CI only,
 * with PINLENS_SKIP_E2E set or the environment missing (a line says why).
 * Under CI a missing environment fails instead.
 */
export function e2eEnvOrSkip(): E2eEnv | undefined {
  if (process.env.PINLENS_SKIP_E2E && !process.env.CI) {
    // skipped only off CI: PINLENS_SKIP_E2E asks for a quick local run without the editor tests
    console.log('      skipped: PINLENS_SKIP_E2E is set (a quick local run; ignored when CI is set)');
    return undefined;
  }
  const found = findEnv();
  if ('missing' in found) {
    if (process.env.CI) throw new Error(`the editor end-to-end environment is missing (CI is set, so this fails): ${found.missing}`);
    // skipped only off CI: the editor environment is missing (the printed line says what to install)
    console.log(`      skipped: ${found.missing}`);
    return undefined;
  }
  return found.env;
}

export function buildVsix(): string {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  const out = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'package-vsix.mjs')], {
    cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out.trim().split('\n').pop()!;
}

/** A fresh profile: user data, extensions, XDG folders, TMPDIR and the workspace (nothing goes to HOME). */
export interface Profile {
  dir: string;
  userData: string;
  extensions: string;
  workspace: string;
  env: NodeJS.ProcessEnv;
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/**
 * A fresh profile under .e2e/runs/<pid>, so that test runs started at the same
 * time in one work tree do not share files; folders of finished runs are removed.
 */
export function freshProfile(fixture: string, settings: Record<string, unknown>): Profile {
  const runs = path.join(E2E_DIR, 'runs');
  fs.mkdirSync(runs, { recursive: true });
  for (const name of fs.readdirSync(runs)) {
    if (!/^\d+$/.test(name) || !alive(Number(name))) fs.rmSync(path.join(runs, name), { recursive: true, force: true });
  }
  const dir = path.join(runs, String(process.pid));
  fs.rmSync(dir, { recursive: true, force: true });
  const p = (s: string) => path.join(dir, s);
  for (const d of ['user-data/User', 'extensions', 'config', 'data', 'cache', 'tmp']) fs.mkdirSync(p(d), { recursive: true });
  fs.writeFileSync(p('user-data/User/settings.json'), JSON.stringify(settings, null, 2));
  const workspace = p('workspace');
  fs.cpSync(fixture, workspace, { recursive: true });
  return {
    dir,
    userData: p('user-data'),
    extensions: p('extensions'),
    workspace,
    env: { ...process.env, XDG_CONFIG_HOME: p('config'), XDG_DATA_HOME: p('data'), XDG_CACHE_HOME: p('cache'), TMPDIR: p('tmp') },
  };
}

function profileArgs(profile: Profile): string[] {
  return ['--user-data-dir', profile.userData, '--extensions-dir', profile.extensions];
}

export function installExtension(env: E2eEnv, profile: Profile, vsix: string): void {
  const r = spawnSync(env.node, [env.codeServer, ...profileArgs(profile), '--install-extension', vsix], {
    env: profile.env, encoding: 'utf8', timeout: 120_000,
  });
  if (r.status !== 0 || !/successfully installed/i.test(r.stdout + r.stderr)) {
    throw new Error(`code-server --install-extension failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
}

export interface Server { url: string; process: ChildProcess; log: () => string; stop: () => void }

/** Starts code-server on 127.0.0.1 with a port the system picks; resolves when it listens. */
export function startCodeServer(env: E2eEnv, profile: Profile, timeoutMs = 60_000): Promise<Server> {
  const child = spawn(env.node, [
    env.codeServer, ...profileArgs(profile),
    '--auth', 'none', '--bind-addr', '127.0.0.1:0',
    // trace: the pinlens output then holds the LSP messages (pinlens.trace.server), kept when a test fails
    '--log', 'trace',
    '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override',
    '--ignore-last-opened', profile.workspace,
  ], { env: profile.env, cwd: profile.dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const logFile = path.join(profile.dir, 'code-server.log');
  const stop = () => {
    // The process group holds code-server, its extension host and the pinlens server.
    if (child.exitCode === null && child.pid) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { stop(); reject(new Error(`code-server did not listen within ${timeoutMs} ms:\n${output}`)); }, timeoutMs);
    const onData = (chunk: Buffer) => {
      const s = chunk.toString();
      output += s;
      fs.appendFileSync(logFile, s);
      const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\/?/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], process: child, log: () => output, stop });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', code => { clearTimeout(timer); reject(new Error(`code-server exited with ${code}:\n${output}`)); });
    child.on('error', e => { clearTimeout(timer); reject(e); });
  });
}

/** Resolves when fs.watch sees the file's text satisfy the predicate (checked at once, then on each change). */
export function waitForFile(file: string, ok: (text: string) => boolean, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const read = () => { try { return fs.readFileSync(file, 'utf8'); } catch { return ''; } };
    const watcher = fs.watch(path.dirname(file), () => check());
    const timer = setTimeout(() => { watcher.close(); reject(new Error(`${file} did not change as expected within ${timeoutMs} ms:\n${read()}`)); }, timeoutMs);
    function check() {
      const text = read();
      if (ok(text)) { clearTimeout(timer); watcher.close(); resolve(text); }
    }
    check();
  });
}

/** The extension's own log line with the server's start-up time, from the profile's logs. */
export function activationMs(profile: Profile): number | undefined {
  const stack = [path.join(profile.userData, 'logs')];
  while (stack.length) {
    const d = stack.pop()!;
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { continue; }
    for (const e of entries) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) stack.push(f);
      else if (e.name.endsWith('.log')) {
        const m = /language server started in (\d+) ms/.exec(fs.readFileSync(f, 'utf8'));
        if (m) return Number(m[1]);
      }
    }
  }
  return undefined;
}

/** The settings every suite's fresh profile starts from: no tours, tips, updates or telemetry; workspace trust on, the folder opened untrusted. */
export const BASE_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': 'off', // (false is migrated to 'off' by rewriting settings.json mid-start)
  'chat.disableAIFeatures': true,
  'editor.minimap.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  // Workspace trust stays on and the folder opens untrusted (Restricted Mode):
  // the extension declares untrustedWorkspaces.supported and must work there.
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.untrustedFiles': 'open',
};

/**
 * Chromium (the flags this machine needs: no sandbox as root, no background
 * networking) on code-server's page for the profile's folder, the workbench
 * shown and the editor area focused. `consoleLines` collects the workbench's
 * console, for the logs of a failed run.
 */
export async function openWorkbench(env: E2eEnv, profile: Profile, server: Server, timeoutMs: number, consoleLines?: string[]): Promise<{ browser: Browser; page: Page }> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: env.chromium, headless: true, env: profile.env, // XDG folders and TMPDIR inside the run folder
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.setDefaultTimeout(timeoutMs);
  if (consoleLines) page.on('console', m => { consoleLines.push(`${new Date().toISOString()} ${m.type()} ${m.text()}`); });
  await page.goto(`${server.url}/?folder=${encodeURIComponent(profile.workspace)}`);
  await page.locator('.monaco-workbench').waitFor();
  await page.locator('.part.editor').click({ position: { x: 300, y: 300 } });
  return { browser, page };
}

/** Opens a file of the folder through Quick Open and waits for its tab to be the active one. */
export async function quickOpen(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(name);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: path.basename(name) }).first().waitFor();
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' });
  await page.locator('.tab.active', { hasText: path.basename(name) }).waitFor();
}

/** Runs a command by its title through the command palette. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+Shift+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' });
}

/**
 * Points the mouse at `target` until a hover holding `text` shows, and returns
 * the hover. The point is taken again on each try: the editor may still be
 * scrolling to a line just revealed, and a hover asked for at a stale point
 * never comes.
 */
export async function hoverOver(page: Page, target: Locator, text: string, timeoutMs: number): Promise<Locator> {
  const hover = page.locator('.monaco-hover', { hasText: text }).first();
  for (let attempt = 1; ; attempt++) {
    await target.waitFor();
    const box = await target.boundingBox();
    if (!box) throw new Error('the hover target has no box');
    await page.mouse.move(5, 5);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    try {
      await hover.waitFor({ timeout: attempt < 4 ? 10_000 : timeoutMs });
      return hover;
    } catch (e) {
      if (attempt >= 4) throw e;
    }
  }
}
