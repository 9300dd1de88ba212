// pinlens-kbuild as kbuild runs a CHECK tool: `$(CHECK) $(CHECKFLAGS) $(c_flags)
// file.c` from the top of the tree (6.12 scripts/Makefile.build), with the
// flags of a real x86_64 defconfig build (only the flags: the tree is ours).
// Findings go to stderr gcc-style, the exit status is 0 unless the check
// cannot run; the configuration (autoconf.h, -D) picks the branches; many
// processes at once share the disk cache safely.
import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseKbuildArgs, sourceTree } from '../../src/cli/kbuild';
import { SCAN_FORMAT } from '../../src/index/cache';

const ROOT = path.join(__dirname, '..', '..', '..');
const KBUILD = path.join(ROOT, 'out', 'kbuild.js');

/** $(CHECKFLAGS) $(c_flags) of 6.12 x86_64 defconfig, as make passes them (the object's names filled in). */
function kbuildArgv(obj: string): string[] {
  const base = path.basename(obj, '.c');
  const dir = path.dirname(obj);
  return [
    '-D__linux__', '-Dlinux', '-D__STDC__', '-Dunix', '-D__unix__', '-Wbitwise', '-Wno-return-void', '-Wno-unknown-attribute',
    '-D__x86_64__', '--arch=x86', '-mlittle-endian', '-m64', `-Wp,-MMD,${dir}/.${base}.o.d`, '-nostdinc',
    '-I./arch/x86/include', '-I./arch/x86/include/generated', '-I./include', '-I./arch/x86/include/uapi',
    '-I./arch/x86/include/generated/uapi', '-I./include/uapi', '-I./include/generated/uapi',
    '-include', './include/linux/compiler-version.h', '-include', './include/linux/kconfig.h',
    '-include', './include/linux/compiler_types.h', '-D__KERNEL__', '-fmacro-prefix-map=./=', '-Werror', '-std=gnu11',
    '-fshort-wchar', '-funsigned-char', '-fno-common', '-fno-PIE', '-fno-strict-aliasing', '-mno-sse', '-mno-mmx', '-mno-sse2',
    '-mno-3dnow', '-mno-avx', '-fcf-protection=branch', '-fno-jump-tables', '-m64', '-falign-jumps=1', '-falign-loops=1',
    '-mno-80387', '-mno-fp-ret-in-387', '-mpreferred-stack-boundary=3', '-mskip-rax-setup', '-mtune=generic', '-mno-red-zone',
    '-mcmodel=kernel', '-Wno-sign-compare', '-fno-asynchronous-unwind-tables', '-mindirect-branch=thunk-extern',
    '-mindirect-branch-register', '-mindirect-branch-cs-prefix', '-mfunction-return=thunk-extern', '-fno-jump-tables',
    '-fpatchable-function-entry=16,16', '-fno-delete-null-pointer-checks', '-O2', '-fno-allow-store-data-races',
    '-fstack-protector-strong', '-fomit-frame-pointer', '-ftrivial-auto-var-init=zero', '-fno-stack-clash-protection',
    '-falign-functions=16', '-fno-strict-overflow', '-fno-stack-check', '-fconserve-stack', '-fno-builtin-wcslen',
    '-Wall', '-Wextra', '-Wundef', '-Werror=implicit-function-declaration', '-Werror=implicit-int', '-Werror=return-type',
    '-Werror=strict-prototypes', '-Wno-format-security', '-Wno-trigraphs', '-Wframe-larger-than=2048', '-Wvla',
    '-Wimplicit-fallthrough=5', '-Werror=incompatible-pointer-types', '-Wno-unused-parameter',
    `-DKBUILD_MODFILE="${dir}/${base}"`, `-DKBUILD_BASENAME="${base}"`, `-DKBUILD_MODNAME="${base}"`, `-D__KBUILD_MODNAME=kmod_${base}`,
    obj,
  ];
}

const XDEMO = `// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>

int xdemo_read(unsigned long uaddr, struct page **pages, int nr)
{
	int i, ret;

#ifdef CONFIG_XDEMO_PIN
	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
#else
	ret = get_user_pages_fast(uaddr, nr, 0, pages);
#endif
	if (ret <= 0)
		return ret;
	for (i = 0; i < ret; i++)
		put_page(pages[i]);
	return 0;
}
`;

describe('pinlens-kbuild (make C=1 CHECK=pinlens-kbuild)', function () {
  this.timeout(120_000);
  let tree: string, cache: string;
  const run = (args: string[], opts: { cwd?: string; config?: boolean } = {}) => {
    const r = spawnSync(process.execPath, [KBUILD, ...args], { cwd: opts.cwd ?? tree, encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cache }, timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  beforeEach(() => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pinlens-kbuild-'));
    tree = path.join(tmp, 'linux');
    cache = path.join(tmp, 'cache');
    const w = (rel: string, text: string) => { fs.mkdirSync(path.dirname(path.join(tree, rel)), { recursive: true }); fs.writeFileSync(path.join(tree, rel), text); };
    w('Makefile', 'VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 0\n');
    w('include/linux/kconfig.h', '/* stands in for the tree\'s kconfig.h */\n');
    w('include/linux/compiler_types.h', '/* stands in */\n');
    w('include/linux/compiler-version.h', '/* stands in */\n');
    w('include/generated/autoconf.h', '#define CONFIG_XDEMO_PIN 1\n#define CONFIG_64BIT 1\n#define CONFIG_CC_VERSION_TEXT "gcc (Debian 12.2.0-14) 12.2.0"\n');
    w('drivers/xdemo/xdemo.c', XDEMO);
    w('drivers/xdemo/plain.c', 'int xdemo_add(int a, int b)\n{\n\treturn a + b;\n}\n');
    // a helper in another file: the index's scan and summaries come from the shared cache
    w('drivers/xdemo/user.c', '#include <linux/mm.h>\nint xdemo_user(unsigned long uaddr, int nr)\n{\n\tstruct page *pages[8];\n\tint ret = xdemo_grab(uaddr, nr, pages);\n\n\tif (ret <= 0)\n\t\treturn ret;\n\txdemo_drop(pages, ret);\n\treturn 0;\n}\n');
    w('lib/xdemo_lib.c', '#include <linux/mm.h>\nint xdemo_grab(unsigned long uaddr, int nr, struct page **pages)\n{\n\treturn pin_user_pages_fast(uaddr, nr, 0, pages);\n}\n\nvoid xdemo_drop(struct page **pages, int nr)\n{\n\trelease_pages(pages, nr);\n}\n');
  });
  afterEach(() => fs.rmSync(path.dirname(tree), { recursive: true, force: true }));

  it('reads the 6.12 command line: -D/-U, -include, -I; every other flag ignored; the file last', () => {
    const o = parseKbuildArgs(kbuildArgv('drivers/xdemo/xdemo.c'));
    assert.deepStrictEqual(o.files, ['drivers/xdemo/xdemo.c']);
    assert.deepStrictEqual(o.includes, ['./include/linux/compiler-version.h', './include/linux/kconfig.h', './include/linux/compiler_types.h']);
    assert.ok(o.includeDirs.includes('./include'));
    assert.deepStrictEqual(o.defines.find(d => d[0] === 'KBUILD_BASENAME'), ['KBUILD_BASENAME', '"xdemo"']);
    assert.deepStrictEqual(o.defines.find(d => d[0] === '__KERNEL__'), ['__KERNEL__', '1']);
    assert.deepStrictEqual(parseKbuildArgs(['-U', 'MODULE', '-DMODULE', '-UX', '-I', 'inc', '-o', 'x.o', '-MF', 'd', 'f.c']).defines, [['MODULE', null], ['MODULE', '1'], ['X', null]]);
    assert.deepStrictEqual(parseKbuildArgs(['-I', 'inc', '-o', 'x.o', '-MF', 'd', '-x', 'c', 'f.c']).files, ['f.c']);
    // an O= build runs in the object tree: the source tree is the one whose kconfig.h is included
    assert.strictEqual(sourceTree(parseKbuildArgs(['-include', `${tree}/include/linux/kconfig.h`, 'f.c']), os.tmpdir()), tree);
  });

  it('prints findings gcc-style on stderr, nothing on stdout, and exits 0 (1 with --pinlens-werror)', () => {
    const r = run(kbuildArgv('drivers/xdemo/xdemo.c'));
    assert.strictEqual(r.code, 0, r.err);
    assert.strictEqual(r.out, '');
    assert.match(r.err, /^drivers\/xdemo\/xdemo\.c:16:3: error: put_page\(\) drops a plain reference on pages pinned .* \[mismatched-release\]$/m);
    assert.strictEqual(run(['--pinlens-werror', ...kbuildArgv('drivers/xdemo/xdemo.c')]).code, 1);
    // a file with nothing about pages: silent
    const plain = run(kbuildArgv('drivers/xdemo/plain.c'));
    assert.deepStrictEqual([plain.code, plain.out, plain.err], [0, '', '']);
  });

  it('follows the configuration: autoconf.h and the -D/-U of the command line; --pinlens-no-config ignores it', () => {
    fs.writeFileSync(path.join(tree, 'include/generated/autoconf.h'), '#define CONFIG_64BIT 1\n');
    // CONFIG_XDEMO_PIN not set: get_user_pages_fast() then put_page() is right
    assert.strictEqual(run(kbuildArgv('drivers/xdemo/xdemo.c')).err, '');
    // a -D on the command line sets it
    assert.match(run(['-DCONFIG_XDEMO_PIN', ...kbuildArgv('drivers/xdemo/xdemo.c')]).err, /\[mismatched-release\]/);
    // without the configuration the #ifdef branch is analysed (one configuration)
    assert.match(run(['--pinlens-no-config', ...kbuildArgv('drivers/xdemo/xdemo.c')]).err, /\[mismatched-release\]/);
    fs.writeFileSync(path.join(tree, 'include/generated/autoconf.h'), '#define CONFIG_XDEMO_PIN 1\n');
    assert.strictEqual(run(['-UCONFIG_XDEMO_PIN', ...kbuildArgv('drivers/xdemo/xdemo.c')]).err, '');
  });

  it('the plain CLI follows include/generated/autoconf.h under --tree too; --no-config does not', () => {
    const CLI = path.join(ROOT, 'out', 'cli.js');
    const check = (extra: string[]) => JSON.parse(spawnSync(process.execPath, [CLI, 'check', '--format', 'json', '--tree', '.', ...extra, 'drivers/xdemo/xdemo.c'],
      { cwd: tree, encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cache } }).stdout) as { findings: { code: string }[]; stats: { config?: { file: string; options: number } } };
    fs.writeFileSync(path.join(tree, 'include/generated/autoconf.h'), '#define CONFIG_64BIT 1\n');
    const r = check([]);
    assert.deepStrictEqual(r.findings, []);
    assert.deepStrictEqual(r.stats.config, { file: path.join('include', 'generated', 'autoconf.h'), options: 1 });
    const off = check(['--no-config']);
    assert.deepStrictEqual(off.findings.map(f => f.code), ['mismatched-release']);
    assert.strictEqual(off.stats.config, undefined);
  });

  it('exits 2 when it cannot run: no file, or a file that is not there', () => {
    assert.strictEqual(run(['-D__KERNEL__', '-Wall']).code, 2);
    const r = run(kbuildArgv('drivers/xdemo/missing.c'));
    assert.strictEqual(r.code, 2);
    assert.match(r.err, /missing\.c: pinlens: unreadable/);
  });

  it('a saved scan that is not whole (files being written, truncated, emptied by another process) is never taken for the tree', () => {
    const USER = /user\.c:9:2: error: release_pages\(\) via xdemo_drop\(\) .*\[mismatched-release\]/;
    const scanDir = path.join(cache, 'pinlens', 'scan');
    const doc = () => { const [f] = fs.readdirSync(scanDir); return path.join(scanDir, f); };
    // the helper's file was written "now" (a stamp in the future is within the clock's reach
    // whatever the machine's speed): the first process cannot remember it, the second must
    // not take that scan as the whole tree and lose xdemo_drop()
    const soon = new Date(Date.now() + 3600_000);
    fs.utimesSync(path.join(tree, 'lib/xdemo_lib.c'), soon, soon);
    assert.match(run(kbuildArgv('drivers/xdemo/user.c')).err, USER);
    assert.strictEqual(JSON.parse(fs.readFileSync(doc(), 'utf8')).complete, false);
    assert.match(run(kbuildArgv('drivers/xdemo/user.c')).err, USER);
    // settled files: the scan is saved whole, and trusted
    const old = new Date(Date.now() - 3600_000);
    for (const f of ['drivers/xdemo/user.c', 'drivers/xdemo/xdemo.c', 'drivers/xdemo/plain.c', 'lib/xdemo_lib.c']) fs.utimesSync(path.join(tree, f), old, old);
    assert.match(run(kbuildArgv('drivers/xdemo/user.c')).err, USER);
    const whole = fs.readFileSync(doc(), 'utf8');
    assert.strictEqual(JSON.parse(whole).complete, true);
    assert.strictEqual(JSON.parse(whole).files.length, 4);
    // cut short, empty, or another process's scan that remembered nothing: each process scans itself
    const { key, root } = JSON.parse(whole);
    for (const damaged of [whole.slice(0, whole.length >> 1), '',
      JSON.stringify({ format: SCAN_FORMAT, key, root, complete: false, files: [], stamps: [], counts: [], classes: [], hashes: '' }),
      JSON.stringify({ format: SCAN_FORMAT, key, root, files: [], stamps: [], counts: [], classes: [], hashes: '' })]) {
      fs.writeFileSync(doc(), damaged);
      assert.match(run(kbuildArgv('drivers/xdemo/user.c')).err, USER, JSON.stringify(damaged));
      assert.deepStrictEqual(JSON.parse(fs.readFileSync(doc(), 'utf8')).files, JSON.parse(whole).files, 'saved whole again');
    }
  });

  it('many processes at once (make -j) share the disk cache: same findings as one at a time, whole cache files', async () => {
    const files = ['drivers/xdemo/user.c', 'drivers/xdemo/xdemo.c', 'drivers/xdemo/plain.c', 'lib/xdemo_lib.c'];
    const one = files.map(f => run(kbuildArgv(f)).err);
    assert.match(one[0], /user\.c:9:2: error: release_pages\(\) via xdemo_drop\(\) .*\[mismatched-release\]/);
    fs.rmSync(cache, { recursive: true, force: true });
    // the sources just written, as a build writes generated ones: the first processes' scans
    // cannot remember them (their stamps may still change), and the later ones must not lose them
    const now = new Date();
    for (const f of files) fs.utimesSync(path.join(tree, f), now, now);
    const together = await Promise.all([...files, ...files, ...files].map(f => new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, [KBUILD, ...kbuildArgv(f)], { cwd: tree, env: { ...process.env, XDG_CACHE_HOME: cache } });
      let err = '';
      p.stderr.on('data', d => { err += d; });
      p.on('error', reject);
      p.on('close', code => (code === 0 ? resolve(err) : reject(new Error(`${f}: exit ${code}: ${err}`))));
    })));
    assert.deepStrictEqual(together, [...one, ...one, ...one]);
    // every cache file is whole (no temp file left behind), and the scan is there for the next process
    const all = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap(e => (e.isDirectory() ? all(path.join(d, e.name)) : [path.join(d, e.name)]));
    const left = all(cache);
    assert.ok(left.every(f => f.endsWith('.json')), left.join('\n'));
    for (const f of left) JSON.parse(fs.readFileSync(f, 'utf8'));
    // one definition scan of the tree, left for the next process (it names this build, so only the bundle reads it)
    const scans = fs.readdirSync(path.join(cache, 'pinlens', 'scan'));
    assert.strictEqual(scans.length, 1, scans.join(' '));
    assert.strictEqual(JSON.parse(fs.readFileSync(path.join(cache, 'pinlens', 'scan', scans[0]), 'utf8')).format, SCAN_FORMAT);
  });
});
