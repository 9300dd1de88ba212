// `pinlens-kbuild`: pinlens as the kernel build's CHECK tool, like sparse:
//   make C=1 CHECK=pinlens-kbuild        (files the build compiles)
//   make C=2 CHECK=pinlens-kbuild        (every file of the targets)
// kbuild runs `$(CHECK) $(CHECKFLAGS) $(c_flags) file.c` (scripts/Makefile.build)
// from the top of the object tree, once per file. Of those flags only -D, -U,
// -include/-imacros and -I (to find include/generated/autoconf.h) matter here;
// everything else is accepted and ignored without a word. The file is checked
// with the source tree as --tree (the working directory, or the tree the
// `-include …/include/linux/kconfig.h` flag names), its findings go to stderr
// gcc-style as sparse's do, and the exit status is 0 unless the check could not
// run (2), so make carries on; --pinlens-werror makes error-level findings
// exit 1. Files that cannot have a finding are passed over without loading
// the parser or the index; the others reuse the definition scan and the
// summaries other runs left in the shared disk cache (safe under make -j:
// entries are written to a private file and renamed into place).
import * as fs from 'fs';
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import type { CheckSettings } from '../core/types';
import { loadParser } from '../host/treesitter';
import { AUTOCONF, readAutoconf, withDefines } from '../index/kconfig';
import { classifyText, MAY_TAKE_HELPERS, NAMES_API } from '../index/select';
import { TreeIndex } from '../index/tree';
import { checkFile } from './check-file';
import { load } from './files';

const USAGE = `usage: pinlens-kbuild [compiler flags…] [--pinlens-werror] [--pinlens-no-config] [--pinlens-tree=DIR] FILE.c…

The kernel build's CHECK tool: make C=1 CHECK=pinlens-kbuild (or C=2 for every
file). Accepts the command line kbuild gives sparse ($(CHECKFLAGS) $(c_flags)
file.c), ignores the flags it does not need, checks each file with the source
tree as --tree and the build's configuration (include/generated/autoconf.h,
-D, -U), and prints findings on stderr as gcc does. Exit status: 0 (make
carries on), 1 with --pinlens-werror when an error-level finding was printed,
2 when the check could not run.`;

export interface KbuildArgs {
  files: string[];
  /** -D NAME[=VALUE] (value 1 by default) and -U NAME (null), in order */
  defines: [string, string | null][];
  /** -include and -imacros files */
  includes: string[];
  /** -I, -isystem, -idirafter, -iquote folders */
  includeDirs: string[];
  werror: boolean;
  noConfig: boolean;
  tree?: string;
}

/** Compiler options whose value is the next argument (gcc spelling), besides those read below. */
const TAKES_VALUE = new Set(['-o', '-MF', '-MT', '-MQ', '-x', '-iprefix', '-iwithprefix', '-iwithprefixbefore', '-isysroot',
  '-Xpreprocessor', '-Xassembler', '-Xlinker', '--param', '-aux-info', '-idirafter', '-iquote', '-isystem', '-imacros', '-include', '-I', '-D', '-U', '-L', '-l', '-T', '-u', '-z', '-G']);

/** sparse's command line read as kbuild writes it; unknown flags are ignored. */
export function parseKbuildArgs(argv: string[]): KbuildArgs {
  const o: KbuildArgs = { files: [], defines: [], includes: [], includeDirs: [], werror: false, noConfig: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (flag: string): string | undefined => (a === flag ? argv[++i] : a.slice(flag.length));
    if (a === '--pinlens-werror') o.werror = true;
    else if (a === '--pinlens-no-config') o.noConfig = true;
    else if (a.startsWith('--pinlens-tree=')) o.tree = a.slice('--pinlens-tree='.length);
    else if (a.startsWith('-D')) {
      const d = value('-D');
      const m = d !== undefined ? /^([A-Za-z_]\w*)(?:=(.*))?$/s.exec(d) : null;
      if (m) o.defines.push([m[1], m[2] ?? '1']);
    } else if (a.startsWith('-U')) {
      const u = value('-U');
      if (u && /^[A-Za-z_]\w*$/.test(u)) o.defines.push([u, null]);
    } else if (a === '-include' || a === '-imacros') { const f = argv[++i]; if (f) o.includes.push(f); }
    else if (a.startsWith('-I') && a !== '-I-') { const d = value('-I'); if (d) o.includeDirs.push(d); }
    else if (a === '-isystem' || a === '-idirafter' || a === '-iquote') { const d = argv[++i]; if (d) o.includeDirs.push(d); }
    else if (TAKES_VALUE.has(a)) i++;
    else if (a.startsWith('-')) continue; // -Wp,-MMD,…, -W…, -f…, -m…, -O2, -std=…, --arch=…, -nostdinc, …
    else o.files.push(a);
  }
  return o;
}

/**
 * The source tree: --pinlens-tree, else the tree whose include/linux/kconfig.h
 * (or compiler_types.h) kbuild -includes (O= builds run in the object tree),
 * else the working directory.
 */
export function sourceTree(o: KbuildArgs, cwd: string): string {
  if (o.tree) return path.resolve(cwd, o.tree);
  for (const inc of o.includes) {
    const m = /^(.*?)[\\/]include[\\/]linux[\\/](?:kconfig|compiler_types|compiler-version)\.h$/.exec(inc);
    if (m) {
      const root = path.resolve(cwd, m[1] || '.');
      if (fs.existsSync(path.join(root, 'Makefile'))) return root;
    }
  }
  return cwd;
}

/** The build's autoconf.h: named by -include, else under an -I folder (…/include/generated/), else under the tree. */
export function findAutoconf(o: KbuildArgs, tree: string, cwd: string): string | undefined {
  const direct = o.includes.find(f => path.basename(f) === 'autoconf.h');
  const candidates = [
    ...(direct ? [path.resolve(cwd, direct)] : []),
    ...o.includeDirs.map(d => path.resolve(cwd, d, 'generated', 'autoconf.h')),
    path.join(cwd, AUTOCONF), path.join(tree, AUTOCONF),
  ];
  return candidates.find(f => fs.existsSync(f));
}

/**
 * A whole definition scan saved this recently is used as it is (PINLENS_KBUILD_SCAN_TRUST_S
 * overrides it; 0: always check every file's stamp). A build runs one process per
 * file and does not edit its sources: listing and stat()ing the whole tree again
 * for each file would cost more than the check. A scan saved without some files
 * (written in its last seconds, unreadable) is not whole: the process scans.
 */
const SCAN_TRUST_MS = (() => {
  const s = Number(process.env.PINLENS_KBUILD_SCAN_TRUST_S);
  return (Number.isFinite(s) && s >= 0 ? s : 600) * 1000;
})();

const SEV: Record<string, string> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };

export async function kbuildMain(argv: string[], cwd = process.cwd(), err: (s: string) => void = s => process.stderr.write(s)): Promise<number> {
  if (argv.includes('--help') && argv.length === 1) { process.stdout.write(USAGE + '\n'); return 0; }
  const o = parseKbuildArgs(argv);
  if (!o.files.length) { err(`pinlens-kbuild: no source file on the command line\n${USAGE}\n`); return 2; }
  const tree = sourceTree(o, cwd);
  const autoconf = o.noConfig ? undefined : findAutoconf(o, tree, cwd);
  const settings: CheckSettings = {};
  if (!o.noConfig) {
    const base = autoconf ? readAutoconf(autoconf) : undefined;
    // the -D's alone decide nothing about CONFIG_ options: only with autoconf.h
    if (base) settings.config = withDefines(base, o.defines);
  }
  let parser: Parser | undefined;
  let index: TreeIndex | undefined;
  let errors = 0, failed = false;
  for (const given of o.files) {
    const abs = path.resolve(cwd, given);
    const file = load({ display: given, abs });
    if (file.text === undefined) { err(`${given}: pinlens: ${file.note ?? 'unreadable'}\n`); failed = !fs.existsSync(abs) || failed; continue; }
    // most files the build compiles cannot have a finding: no parser, no index for them
    const cls = classifyText(file.text);
    if (!(cls & (NAMES_API | MAY_TAKE_HELPERS))) continue;
    try {
      parser ??= await loadParser();
      index ??= new TreeIndex(tree, parser, settings, { trustScanFor: SCAN_TRUST_MS });
    } catch (e) {
      err(`pinlens-kbuild: cannot load the C parser: ${e instanceof Error ? e.message : String(e)}\n`);
      return 2;
    }
    const r = checkFile(file, parser, settings, index, { all: false, cls });
    for (const f of r.findings) {
      if (f.severity === 'error') errors++;
      err(`${given}:${f.range.start.line + 1}:${f.range.start.character + 1}: ${SEV[f.severity]}: ${f.message} [${f.code}]\n`);
    }
  }
  if (failed) return 2;
  return o.werror && errors ? 1 : 0;
}

if (require.main === module) {
  kbuildMain(process.argv.slice(2)).then(code => { process.exitCode = code; }, e => {
    process.stderr.write(`pinlens-kbuild: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 2;
  });
}
