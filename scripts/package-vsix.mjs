// Packages the extension as pinlens-<version>.vsix with @vscode/vsce and checks
// what goes in: the bundles, the grammars, media/ and docs/codes/, no native
// binary, at most 5 MB. Run after `npm run build` (npm run package does both).
// Prints the path of the .vsix on stdout; exits 1 when a check fails.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const MAX_BYTES = 5 * 1024 * 1024;
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const vsix = path.join(root, `${pkg.name}-${pkg.version}.vsix`);
const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');

// Everything is bundled by esbuild: no node_modules go into the package.
const common = ['--no-dependencies'];
// The README's relative links (docs/codes/…) stay as they are: no public repository URL to point them at.
const packOnly = ['--skip-license', '--allow-missing-repository', '--no-rewrite-relative-links'];

function run(args) {
  return execFileSync(process.execPath, [vsce, ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

const files = run(['ls', ...common]).split('\n').map(s => s.trim()).filter(Boolean);
const problems = [];
for (const need of ['package.json', 'out/client.js', 'out/server.js', 'grammars/tree-sitter-c.wasm', 'media/simulation.js', 'media/icon.png']) {
  if (!files.includes(need)) problems.push(`missing ${need} (run npm run build first)`);
}
if (!files.some(f => f.startsWith('docs/codes/'))) problems.push('missing docs/codes/');
for (const f of files) {
  if (/\.(node|so|dll|dylib|exe)$/.test(f)) problems.push(`native binary ${f}`);
  if (!/^(package\.json|README\.md|LICENSE|CHANGELOG\.md|out\/[^/]+\.js|grammars\/[^/]+\.(wasm|scm)|media\/.+|docs\/codes\/.+)$/.test(f)) {
    problems.push(`unexpected file ${f} (see .vscodeignore)`);
  }
}
if (problems.length) {
  for (const p of problems) process.stderr.write(`package-vsix: ${p}\n`);
  process.exit(1);
}

fs.rmSync(vsix, { force: true });
run(['package', ...common, ...packOnly, '--out', vsix]);
const size = fs.statSync(vsix).size;
process.stderr.write(`package-vsix: ${path.basename(vsix)}: ${files.length} files, ${(size / 1024).toFixed(0)} KiB\n`);
if (size > MAX_BYTES) {
  process.stderr.write(`package-vsix: ${path.basename(vsix)} is ${size} bytes, over the ${MAX_BYTES} byte limit\n`);
  process.exit(1);
}
process.stdout.write(vsix + '\n');
