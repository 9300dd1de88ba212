// What the editor needs from git for one file: is its folder in a work tree,
// which commit is HEAD, and the file's text at HEAD. Never throws: no git, no
// repository or a failing command is an answer, not an error.
import { execFile } from 'child_process';
import * as path from 'path';

/** undefined: not in a git work tree (or git is missing). head undefined: a repository without commits. */
export interface GitHead { head: string | undefined }

function run(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise(resolve => {
    try {
      execFile('git', ['-C', cwd, ...args], {
        encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, windowsHide: true,
        env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0' },
      }, (err, stdout) => resolve(err ? undefined : stdout));
    } catch {
      resolve(undefined);
    }
  });
}

/** The HEAD commit of the work tree holding folder `dir`. */
export async function gitHead(dir: string): Promise<GitHead | undefined> {
  const inside = await run(dir, ['rev-parse', '--is-inside-work-tree']);
  if (inside?.trim() !== 'true') return undefined;
  const head = (await run(dir, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']))?.trim();
  return { head: head || undefined };
}

/** The text of `file` in commit `rev`; undefined when the commit has no such file. */
export async function gitShow(file: string, rev: string): Promise<string | undefined> {
  if (!/^[0-9a-f]{7,64}$/i.test(rev)) return undefined;
  return run(path.dirname(file), ['show', '--no-textconv', `${rev}:./${path.basename(file)}`]);
}
