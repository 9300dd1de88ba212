// C documents in a git work tree, over stdio with the built server: findings
// the uncommitted change (the editor's text against HEAD) introduced say so in
// the message and in `data`; findings already at HEAD do not; with
// pinlens.onlyIntroduced only the introduced ones are published. Outside a
// repository nothing is marked, and a file git does not have at HEAD is all new.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { LspClient } from './harness';

const SUFFIX = ' (introduced by the uncommitted change)';

/** x_read pins and unpins (clean); x_old pins and put_page()s (a finding already committed). */
const HEAD_C = `#include <linux/mm.h>

int x_read(unsigned long uaddr, struct page **pages, int n)
{
	int got;

	got = pin_user_pages_fast(uaddr, n, FOLL_WRITE, pages);
	if (got <= 0)
		return got;
	unpin_user_pages(pages, got);
	return 0;
}

int x_old(unsigned long uaddr, struct page **pages, int n)
{
	int got, i;

	got = pin_user_pages_fast(uaddr, n, 0, pages);
	if (got <= 0)
		return got;
	for (i = 0; i < got; i++)
		put_page(pages[i]);
	return 0;
}
`;

/** The uncommitted change: x_read now put_page()s the pages it pinned (and a line moves everything down). */
const CHANGED_C = HEAD_C
  .replace('#include <linux/mm.h>\n', '#include <linux/mm.h>\n#include <linux/slab.h>\n')
  .replace('\tunpin_user_pages(pages, got);\n', '\twhile (got--)\n\t\tput_page(pages[got]);\n');

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Ada Reviewer', GIT_AUTHOR_EMAIL: 'ada@example.org',
  GIT_COMMITTER_NAME: 'Ada Reviewer', GIT_COMMITTER_EMAIL: 'ada@example.org',
  GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: os.devNull,
};
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: ENV, stdio: 'pipe' });

const mismatched = (ds: Diagnostic[]) => ds.filter(d => d.code === 'mismatched-release');
const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length - 1;
const msg = (d: Diagnostic): string => (typeof d.message === 'string' ? d.message : d.message.value);
const change = (d: Diagnostic) => (d.data as { change?: string } | undefined)?.change;

describe('lsp: findings against HEAD in a git work tree', function () {
  this.timeout(60000);
  let dir: string;
  let repo: string;
  let uri: string;
  let c: LspClient | undefined;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-git-'));
    repo = path.join(dir, 'repo');
    fs.mkdirSync(path.join(repo, 'drivers', 'x'), { recursive: true });
    const file = path.join(repo, 'drivers', 'x', 'pin.c');
    fs.writeFileSync(file, HEAD_C);
    git(repo, 'init', '-q');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'x: pin and unpin');
    uri = pathToFileURL(file).href;
  });

  afterEach(async () => { await c?.stop(); c = undefined; });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('says which findings the uncommitted change introduced, and keeps the quick-fix data', async () => {
    c = await LspClient.start({}, { rootUri: pathToFileURL(repo).href });
    await c.open(uri, CHANGED_C);
    const ds = mismatched(await c.version(uri, 1));
    assert.strictEqual(ds.length, 2, JSON.stringify(ds));
    const intro = ds.find(d => d.range.start.line === lineOf(CHANGED_C, 'put_page(pages[got])'));
    const old = ds.find(d => d.range.start.line === lineOf(CHANGED_C, 'put_page(pages[i])'));
    assert.ok(intro && old, JSON.stringify(ds));
    assert.ok(msg(intro).endsWith(SUFFIX), msg(intro));
    assert.strictEqual(change(intro), 'introduced');
    assert.ok(!msg(old).includes('uncommitted'), msg(old));
    assert.strictEqual(change(old), 'unchanged');
    assert.ok(Array.isArray((intro.data as { fixes?: unknown }).fixes));
    const actions = await c.codeActions(uri, [intro]);
    assert.ok(actions.length > 0, 'the introduced finding still offers its quick fixes');

    // an edit that restores x_read: nothing introduced any more
    await c.change(uri, 2, [{ text: HEAD_C }]);
    const after = mismatched(await c.version(uri, 2));
    assert.strictEqual(after.length, 1);
    assert.strictEqual(change(after[0]), 'unchanged');
    assert.ok(!msg(after[0]).includes('uncommitted'));
  });

  it('publishes only the introduced findings with pinlens.onlyIntroduced', async () => {
    c = await LspClient.start({}, { rootUri: pathToFileURL(repo).href });
    await c.open(uri, CHANGED_C);
    assert.strictEqual(mismatched(await c.version(uri, 1)).length, 2);
    c.settings = { onlyIntroduced: true };
    // (a publish of the analysis begun before the change — the folder's index coming in — may arrive first)
    const next = c.nextDiagnostics(uri, p => mismatched(p.diagnostics).length < 2);
    await c.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    const ds = (await next).diagnostics;
    assert.strictEqual(ds.length, 1, JSON.stringify(ds));
    assert.strictEqual(ds[0].code, 'mismatched-release');
    assert.strictEqual(ds[0].range.start.line, lineOf(CHANGED_C, 'put_page(pages[got])'));
    assert.ok(msg(ds[0]).endsWith(SUFFIX));
  });

  it('marks every finding of a file HEAD does not have as introduced', async () => {
    const file = path.join(repo, 'drivers', 'x', 'new.c');
    fs.writeFileSync(file, HEAD_C);
    const newUri = pathToFileURL(file).href;
    c = await LspClient.start({ onlyIntroduced: true }, { rootUri: pathToFileURL(repo).href });
    await c.open(newUri, HEAD_C);
    const ds = mismatched(await c.version(newUri, 1));
    assert.strictEqual(ds.length, 1);
    assert.strictEqual(change(ds[0]), 'introduced');
    assert.ok(msg(ds[0]).endsWith(SUFFIX));
  });

  it('marks nothing outside a git work tree, even with pinlens.onlyIntroduced', async () => {
    const plain = path.join(dir, 'plain');
    fs.mkdirSync(plain);
    const file = path.join(plain, 'pin.c');
    fs.writeFileSync(file, CHANGED_C);
    const plainUri = pathToFileURL(file).href;
    c = await LspClient.start({ onlyIntroduced: true }, { rootUri: pathToFileURL(plain).href });
    await c.open(plainUri, CHANGED_C);
    const ds = mismatched(await c.version(plainUri, 1));
    assert.strictEqual(ds.length, 2);
    for (const d of ds) {
      assert.strictEqual(change(d), undefined);
      assert.ok(!msg(d).includes('uncommitted'), msg(d));
    }
  });
});
