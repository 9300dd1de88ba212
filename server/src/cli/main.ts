// `pinlens check`: the command-line front end (docs/contract.md, "The command line").
import * as fs from 'fs';
import * as path from 'path';
import type { CheckSettings } from '../core/types';
import { autoconfUnder, readAutoconf } from '../index/kconfig';
import { loadParser } from '../host/treesitter';
import { FileResult, RunStats, indexSummary, selectionSummary, toJson, toSarif, toText } from './format';
import { Progress, progressWanted } from './progress';
import { SourceFile, walk } from './files';
import { isScanThread, runScanThread } from '../index/scan-thread';
import { type IndexStats, TreeIndex } from '../index/tree';
import { runPatchMode } from './patch-mode';
import { KnownSkips, checkFile, scanClasses, skippedByClass, skippedResult } from './check-file';
import { PARALLEL_MIN_FILES, canUseWorkers, checkParallel, defaultJobs, isCheckWorker, runWorker } from './parallel';
import { VERSION } from '../version';

const USAGE = `usage: pinlens check [--format text|json|sarif] [--tree ROOT] [--patch FILE|-]... [--git [REV]] [-q] [--explain] [--kernel 6.1|6.12] [--jobs N] [--all-files] [--no-config] [PATH]...

Checks how kernel C takes and releases user pages (FOLL_GET, FOLL_PIN,
iov_iter extraction). With no PATH and no --patch it checks the bundled
examples. Exit status: 0 no error-level finding, 1 errors found, 2 usage or
input error.

  --explain       text format: after each finding, the path that breaks the
                  rule as gcc-style note lines (file:line:col: note: step)
                  and what the page's counters become.
  --jobs N, -j N  worker threads for the file loop (default: one per core,
                  at most 4; used from ${PARALLEL_MIN_FILES} files on). --jobs 1 checks on
                  the main thread. Output is the same either way; --patch
                  and --git always run on the main thread.
  --all-files     analyse every file. By default only the files that can
                  have a finding are: those that name a page API of the
                  catalog, and (with --tree) those that call a helper of the
                  tree that handles pages; the summary line says how many
                  were skipped and why. The findings are the same.
  --no-config     ignore the build configuration. By default, when --tree
                  holds include/generated/autoconf.h (a configured build),
                  #ifdef CONFIG_…, #if IS_ENABLED(CONFIG_…) and IS_ENABLED()
                  in conditions take the branch that configuration compiles.`;

export interface Options {
  format: 'text' | 'json' | 'sarif';
  tree?: string;
  patches: string[];
  git?: string;
  quiet: boolean;
  /** text: each finding's path as note lines */
  explain: boolean;
  /** worker threads for the file loop; undefined: defaultJobs(). */
  jobs?: number;
  /** analyse every file, not only those that can have a finding */
  allFiles: boolean;
  paths: string[];
  settings: CheckSettings;
  /** ignore include/generated/autoconf.h under --tree */
  noConfig: boolean;
}

class UsageError extends Error {}

export function parseArgs(argv: string[]): Options {
  const o: Options = { format: 'text', patches: [], quiet: false, explain: false, allFiles: false, paths: [], settings: {}, noConfig: false };
  if (argv[0] !== 'check') throw new UsageError(argv.length ? `unknown command '${argv[0]}'` : 'missing command');
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--format' || a.startsWith('--format=')) {
      const v = a.includes('=') ? a.split('=')[1] : val();
      if (v !== 'text' && v !== 'json' && v !== 'sarif') throw new UsageError(`unknown format '${v}'`);
      o.format = v;
    } else if (a === '--tree') o.tree = val();
    else if (a === '--patch') o.patches.push(val());
    else if (a === '--git') o.git = argv[i + 1] && !argv[i + 1].startsWith('-') ? argv[++i] : 'HEAD';
    else if (a === '-q' || a === '--quiet') o.quiet = true;
    else if (a === '--explain') o.explain = true;
    else if (a === '--all-files') o.allFiles = true;
    else if (a === '--no-config') o.noConfig = true;
    else if (a === '--jobs' || a === '-j' || a.startsWith('--jobs=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : val();
      if (!/^[1-9]\d{0,3}$/.test(v)) throw new UsageError(`--jobs needs a whole number from 1, not '${v}'`);
      o.jobs = Number(v);
    }
    else if (a === '--kernel') {
      const v = val();
      if (v !== '6.1' && v !== '6.12' && v !== 'auto') throw new UsageError(`unknown kernel version '${v}'`);
      o.settings.kernelVersion = v;
    } else if (a === '--path-budget') o.settings.pathBudget = Number(val());
    else if (a === '--disable') o.settings.disabledCodes = [...(o.settings.disabledCodes ?? []), ...val().split(',')] as CheckSettings['disabledCodes'];
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}'`);
    else o.paths.push(a);
  }
  return o;
}

function examplesDir(): string {
  for (const d of [path.join(__dirname, '..', 'examples'), path.join(__dirname, '..', '..', '..', 'examples')]) {
    if (fs.existsSync(d)) return d;
  }
  throw new UsageError('no PATH given and the bundled examples/ folder is missing');
}

function collect(paths: string[], base?: string): SourceFile[] {
  const out: SourceFile[] = [];
  for (const p of paths) {
    const abs = base && !path.isAbsolute(p) && !fs.existsSync(p) ? path.join(base, p) : p;
    let st: fs.Stats;
    try { st = fs.statSync(abs); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      let link = false;
      try { link = fs.lstatSync(abs).isSymbolicLink(); } catch { /* not there at all */ }
      throw new InputError(`cannot read '${p}': ${link ? 'a link to nothing (dangling)' : code === 'ENOENT' ? 'no such file or folder' : code ?? (e as Error).message}`);
    }
    // a path the user names must be readable: what a walk meets inside a folder only gets a note
    if (st.isDirectory()) {
      try { fs.accessSync(abs, fs.constants.R_OK | fs.constants.X_OK); fs.readdirSync(abs); } catch (e) {
        throw new InputError(`cannot read folder '${p}': ${why(e)}`);
      }
      walk(abs, p, out);
    } else if (!st.isFile()) {
      const what = st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'not a regular file';
      throw new InputError(`cannot read '${p}': ${what}, not a C file`);
    } else {
      try {
        fs.accessSync(abs, fs.constants.R_OK);
        fs.closeSync(fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
      } catch (e) {
        throw new InputError(`cannot read '${p}': ${why(e)}`);
      }
      out.push({ display: p, abs });
    }
  }
  return out;
}

class InputError extends Error {}

function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code ?? (e as Error).message;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { process.stdout.write(USAGE + '\n'); return 0; }
  if (argv.includes('--version')) { process.stdout.write(`pinlens ${VERSION}\n`); return 0; }
  let opts: Options;
  try { opts = parseArgs(argv); } catch (e) {
    process.stderr.write(`pinlens: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const started = Date.now();
  if (opts.tree && !fs.existsSync(opts.tree)) { process.stderr.write(`pinlens: --tree '${opts.tree}' does not exist\n`); return 2; }
  // a configured build under --tree: the branches its configuration compiles
  const autoconf = opts.tree && !opts.noConfig ? autoconfUnder(opts.tree) : undefined;
  const config = autoconf ? readAutoconf(autoconf) : undefined;
  if (config) opts.settings.config = config;
  if (opts.patches.length || opts.git) {
    const parser = await loadParser();
    const index = opts.tree ? new TreeIndex(opts.tree, parser, opts.settings) : undefined;
    try {
      return await runPatchMode(opts, parser, index);
    } catch (e) {
      process.stderr.write(`pinlens: ${(e as Error).message}\n`);
      return 2;
    }
  }
  let files: SourceFile[];
  try {
    files = collect(opts.paths.length ? opts.paths : [examplesDir()], opts.tree);
    if (!opts.paths.length) files = files.map(f => ({ ...f, display: path.relative(process.cwd(), f.abs) || f.abs }));
  } catch (e) {
    process.stderr.write(`pinlens: ${(e as Error).message}\n`);
    return 2;
  }
  const bar = progressWanted(opts) ? new Progress(files.length, process.stderr, started) : undefined;
  const progress = bar ? (n: number, f: SourceFile) => bar.tick(n, f.display) : undefined;
  const jobs = Math.min(opts.jobs ?? defaultJobs(), files.length);
  let results: FileResult[];
  let indexStats: IndexStats | undefined;
  if (jobs > 1 && files.length >= PARALLEL_MIN_FILES && canUseWorkers()) {
    // the main thread only hands out files and collects results (parallel.ts)
    ({ results, index: indexStats } = await checkParallel(files, opts.tree, opts.settings, jobs, progress, opts.allFiles));
  } else {
    const parser = await loadParser();
    const index = opts.tree ? new TreeIndex(opts.tree, parser, opts.settings, { scanHeaders: !opts.allFiles && files.some(f => f.abs.endsWith('.h')) }) : undefined;
    // the definition scan classified the tree's files: those that cannot have a finding are not read again
    const scan = !opts.allFiles ? index?.scanned() : undefined;
    const classes = scanClasses(files, scan);
    const known = scan && opts.tree ? KnownSkips.open(opts.tree, scan, opts.settings) : undefined;
    results = [];
    for (let i = 0; i < files.length; i++) {
      results.push(!opts.allFiles && skippedByClass(classes[i]) ? skippedResult(files[i], 'no-page-api')
        : known?.skips(files[i], classes[i]) ? skippedResult(files[i], 'no-page-helper')
          : checkFile(files[i], parser, opts.settings, index, { all: opts.allFiles, cls: classes[i], facts: known?.facts(files[i]) }));
      progress?.(i + 1, files[i]);
    }
    known?.record(files, results);
    indexStats = index?.stats;
  }
  bar?.end();
  if (indexStats?.cacheSkipped) process.stderr.write(`pinlens: note: ${indexStats.cacheSkipped}\n`);
  const functions = results.reduce((n, r) => n + r.functions, 0);
  const stats: RunStats = {
    files: files.length, functions, callSites: results.reduce((n, r) => n + r.callSites.length, 0), ms: Date.now() - started,
    ...(indexStats ? { index: indexSummary(indexStats) } : {}),
    ...(opts.allFiles ? {} : { selection: selectionSummary(results) }),
    ...(autoconf && config ? { config: { file: path.relative(opts.tree!, autoconf), options: Object.keys(config).filter(k => k.startsWith('CONFIG_')).length } } : {}),
  };
  const out = opts.format === 'json' ? toJson(results, stats) : opts.format === 'sarif' ? toSarif(results, VERSION) : toText(results, stats, opts.quiet, opts.explain);
  process.stdout.write(out);
  return results.some(r => r.findings.some(f => f.severity === 'error')) ? 1 : 0;
}

if (isScanThread()) runScanThread();
else if (isCheckWorker()) runWorker();
else if (require.main === module) {
  main(process.argv.slice(2)).then(code => { process.exitCode = code; }, e => {
    process.stderr.write(`pinlens: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 2;
  });
}
