// The patch mode of the CLI and the editor: read the tree (or `git diff REV`),
// apply a series in memory, analyse every touched file before and after each
// patch, and say what the series does to page references: findings introduced
// / fixed / unchanged in the functions it touches, and per patch the call
// sites and releases it converts, the releases it leaves behind and the
// hand-offs it adds.
//
// This file does the I/O (files of the tree, the folders beside the touched
// files, git); the comparison is patch-compare.ts, the rendering
// patch-report.ts, the reasoning over patch texts core/patch/.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { ParsedPatch, PatchInput, SeriesApply, SeriesParse } from '../core/patch/types';
import { parseSeries } from '../core/patch/mail';
import { parseDiff } from '../core/patch/diff';
import { requiredFiles } from '../core/patch/apply';
import { Analyse, PatchCheckError, PatchReport, checkParsedDetailed, isC } from './patch-compare';

export interface PatchCheckOptions {
  patches: PatchInput[];
  /** the tree the series applies to. */
  treeRoot: string;
  analyse: Analyse;
  /** context lines a hunk may miss (default 2, like `patch`). */
  fuzz?: number;
  /** `analyse` uses other files' facts: the files beside the touched ones are checked for what the series changes in them. */
  crossFile?: boolean;
}

export interface GitCheckOptions {
  treeRoot: string;
  /** compare the working tree against this revision (default HEAD). */
  rev?: string;
  analyse: Analyse;
  /** as PatchCheckOptions.crossFile. */
  crossFile?: boolean;
}

// ---------------------------------------------------------------- entry points

export async function runPatchCheck(opts: PatchCheckOptions): Promise<PatchReport> {
  return (await runPatchCheckDetailed(opts)).report;
}

/** The report with what it was computed from: the parsed series and where each hunk landed (the editor maps findings back to patch lines with it). */
export interface PatchCheckDetail { report: PatchReport; parsed: SeriesParse; series: SeriesApply }

/** runPatchCheck, keeping the parse and the application (same checks, same errors). */
export async function runPatchCheckDetailed(opts: PatchCheckOptions): Promise<PatchCheckDetail> {
  const t0 = Date.now();
  const parsed = parseSeries(opts.patches);
  if (parsed.problems.length > 0) throw new PatchCheckError(parsed.problems);
  const files = await loadTree(opts.treeRoot, requiredFiles(parsed.patches));
  const beside = opts.crossFile ? await loadNeighbours(opts.treeRoot, parsed.patches) : new Map<string, string>();
  const { report, series } = checkParsedDetailed(parsed.patches, files, opts.analyse, parsed.notes, opts.fuzz, t0, beside);
  return { report, parsed, series };
}

export async function runGitCheck(opts: GitCheckOptions): Promise<PatchReport> {
  const t0 = Date.now();
  const rev = opts.rev ?? 'HEAD';
  if (rev.startsWith('-')) throw new PatchCheckError([{ kind: 'git', message: `--git: "${rev}" is not a revision` }]);
  await git(opts.treeRoot, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]).catch(() => {
    throw new PatchCheckError([{ kind: 'git', message: `--git: "${rev}" is not a commit in ${opts.treeRoot}` }]);
  });
  const diff = await git(opts.treeRoot, ['diff', '--no-color', '--no-ext-diff', '--no-textconv', '-M',
    '--src-prefix=a/', '--dst-prefix=b/', '--relative', rev, '--']);
  const name = `git diff ${rev}`;
  const patch: ParsedPatch = { input: name, index: 0, subject: `working tree against ${rev}`, description: '', files: [] };
  if (diff.trim() !== '') {
    const d = parseDiff(diff);
    if (d.error !== undefined) throw new PatchCheckError([{ kind: 'git', message: `${name}: cannot parse git's diff: ${d.error}` }]);
    patch.files = d.files;
  }
  const files = new Map<string, string>();
  for (const p of requiredFiles([patch])) {
    files.set(p, await git(opts.treeRoot, ['show', `${rev}:./${p}`]));
  }
  const notes = diff.trim() === '' ? [`no changes against ${rev}`] : [];
  const patches = diff.trim() === '' ? [] : [patch];
  // files the diff does not show are the same at the revision and in the working tree
  const beside = opts.crossFile ? await loadNeighbours(opts.treeRoot, patches) : new Map<string, string>();
  return checkParsedDetailed(patches, files, opts.analyse, notes, 0, t0, beside).report;
}

async function loadTree(root: string, paths: string[]): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  await Promise.all(paths.map(async (p) => {
    try {
      files.set(p, await fs.promises.readFile(path.join(root, p), 'utf8'));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        throw new PatchCheckError([{ kind: 'io', message: `cannot read ${path.join(root, p)}: ${(e as Error).message}` }]);
      }
    }
  }));
  return files;
}

/** Larger files beside the touched ones are not checked for what the series changes in them. */
const MAX_NEIGHBOUR_BYTES = 1024 * 1024;

/** The other C files of the folders the series touches (tree-relative path → text), read from the tree. */
async function loadNeighbours(root: string, patches: ParsedPatch[]): Promise<Map<string, string>> {
  const paths = new Set(patches.flatMap((p) => p.files.flatMap((f) => [f.newPath, f.oldPath])).filter((x): x is string => !!x && isC(x)));
  const dirs = new Set([...paths].map((p) => path.posix.dirname(p)));
  const out = new Map<string, string>();
  for (const dir of [...dirs].sort()) {
    const names = await fs.promises.readdir(path.join(root, dir)).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const rel = dir === '.' ? name : `${dir}/${name}`;
      if (!name.endsWith('.c') || paths.has(rel)) continue;
      const abs = path.join(root, rel);
      const st = await fs.promises.stat(abs).catch(() => undefined);
      if (!st?.isFile() || st.size > MAX_NEIGHBOUR_BYTES) continue;
      const text = await fs.promises.readFile(abs, 'utf8').catch(() => undefined);
      if (text !== undefined && !text.includes('\0')) out.set(rel, text);
    }
  }
  return out;
}

function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', ['-C', cwd, ...args], { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new PatchCheckError([{ kind: 'git', message: `git ${args[0]} failed: ${(stderr || err.message).trim()}` }]));
      else resolve(stdout);
    });
  });
}
