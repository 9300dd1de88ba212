// The kernel tree the benchmarks run on: the path given, or the Linux 6.12
// tree that ../shared/scripts/kernel-trees.sh installs and unpacks. Exits 2
// with a message when it is not a kernel tree or ripgrep is missing.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));

export function kernelTree(arg, who, { needRg = true } = {}) {
  let tree = arg;
  if (!tree) {
    const script = path.join(root, '..', 'shared', 'scripts', 'kernel-trees.sh');
    if (!fs.existsSync(script)) { console.error(`${who}: no tree given and ${path.relative(root, script)} is missing`); process.exit(2); }
    tree = execFileSync('bash', [script, '6.12'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop();
  }
  tree = path.resolve(tree);
  if (!fs.existsSync(path.join(tree, 'Makefile'))) { console.error(`${who}: ${tree} is not a kernel tree`); process.exit(2); }
  if (needRg && spawnSync('rg', ['--version']).status !== 0) { console.error(`${who}: ripgrep (rg) is needed as the reference: apt-get install ripgrep`); process.exit(2); }
  return tree;
}
