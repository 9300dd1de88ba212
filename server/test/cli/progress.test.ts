// Progress on stderr: shown on a terminal (a pseudo-terminal from util-linux
// `script`), never on a pipe, with -q, or when a JSON report goes down a pipe.
// PINLENS_PROGRESS_AFTER_MS=0 shows it from the first file (a run of the
// sample tree is shorter than the usual delay).
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { Progress, progressWanted } from '../../src/cli/progress';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'out', 'cli.js');
const TREE = path.join(__dirname, '..', 'index', 'trees', 'select');
const env = { ...process.env, PINLENS_PROGRESS_AFTER_MS: '0', XDG_CACHE_HOME: path.join(ROOT, 'node_modules', '.cache', 'pinlens-progress-test') };
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI with a pseudo-terminal as its stdin, stdout and stderr (all of it comes back on script's stdout). */
function onTerminal(args: string[], pipeTo?: string): string {
  const cmd = [process.execPath, CLI, ...args].map(sh).join(' ') + (pipeTo ? ` | ${pipeTo}` : '');
  const r = spawnSync('script', ['-q', '-e', '-c', cmd, '/dev/null'], { encoding: 'utf8', env, timeout: 60_000 });
  return r.stdout;
}

describe('pinlens check: progress on stderr', function () {
  this.timeout(120_000);

  it('prints nothing on stderr when it is not a terminal (text, JSON, SARIF)', () => {
    for (const format of ['text', 'json', 'sarif']) {
      const r = spawnSync(process.execPath, [CLI, 'check', '--format', format, '--jobs', '1', '--tree', TREE, TREE], { encoding: 'utf8', env });
      assert.strictEqual(r.stderr, '', format);
      assert.ok(r.stdout.length > 0);
    }
  });

  it('decides from the terminal, -q and the format', () => {
    const tty = { isTTY: true }, pipe = { isTTY: false };
    assert.strictEqual(progressWanted({ quiet: false, format: 'text' }, tty, pipe), true);
    assert.strictEqual(progressWanted({ quiet: false, format: 'text' }, pipe, tty), false);
    assert.strictEqual(progressWanted({ quiet: true, format: 'text' }, tty, tty), false);
    assert.strictEqual(progressWanted({ quiet: false, format: 'json' }, tty, pipe), false);
    assert.strictEqual(progressWanted({ quiet: false, format: 'sarif' }, tty, pipe), false);
    assert.strictEqual(progressWanted({ quiet: false, format: 'json' }, tty, tty), true);
  });

  it('shows files done of the total and the folder, and clears the line; waits for a slow run', () => {
    const out: string[] = [];
    const stream = { columns: 60, write: (s: string) => { out.push(s); return true; } } as unknown as NodeJS.WriteStream;
    const now = Date.now();
    const early = new Progress(3, stream, now);
    early.tick(1, 'drivers/x/a.c');
    assert.deepStrictEqual(out, []); // PINLENS_PROGRESS_AFTER_MS unset here: not before 1.5 s
    const late = new Progress(3, stream, now - 5000);
    late.tick(3, 'drivers/x/a.c');
    late.end();
    assert.deepStrictEqual(out, ['\rpinlens: 3/3 files, drivers/x/\x1b[K', '\r\x1b[K']);
  });

  // skipped only where `script` (util-linux, which gives the run a pseudo-terminal) is not installed
  (hasScript ? it : it.skip)('on a terminal: progress lines with the count and folder; none with -q or with JSON down a pipe', () => {
    const text = onTerminal(['check', '--jobs', '1', '--tree', TREE, TREE]);
    assert.match(text, /pinlens: \d+\/10 files, .*trees\/select\/(drivers\/sel|lib|include)\//);
    // eslint-disable-next-line no-control-regex -- the terminal's erase-line sequence
    assert.match(text, /\r\x1b\[K/);
    const quiet = onTerminal(['check', '-q', '--jobs', '1', '--tree', TREE, TREE]);
    assert.doesNotMatch(quiet, /\/10 files/);
    const json = onTerminal(['check', '--format', 'json', '--jobs', '1', '--tree', TREE, TREE], 'cat');
    assert.doesNotMatch(json, /\/10 files/);
    assert.ok(JSON.parse(json.replace(/\r\n/g, '\n')).stats.files === 10);
  });
  if (!hasScript) console.log('      (skipped: util-linux `script` is not installed: no pseudo-terminal for the progress test)');
});
