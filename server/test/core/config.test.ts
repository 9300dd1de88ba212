// The build's configuration (Settings `config`): C fixtures under
// server/test/config-fixtures/ name their configuration on a `// config:`
// line (NAME=y, NAME=m, NAME=value) and mark, as the fixture runner does,
// the findings of the branch the build compiles (`// expect:`) and the
// clean or uncompiled lines (`// no finding`). The same code is there twice,
// under two configurations, so both sides of every block are covered.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyseSource } from '../../src/core/analyse';
import type { KernelConfig } from '../../src/core/types';
import { loadParser } from '../../src/host/treesitter';
import { expectationsOf } from '../fixtures.test';

const DIR = path.join(__dirname, '..', 'config-fixtures');

/** `// config: CONFIG_A=y CONFIG_B=m CONFIG_C=3` as autoconf.h would define them. */
function configOf(text: string): KernelConfig {
  const line = /^\/\/\s*config:(.*)$/m.exec(text);
  assert.ok(line, 'a config fixture names its configuration on a // config: line');
  const out: KernelConfig = {};
  for (const item of line[1].trim().split(/\s+/)) {
    const [name, v] = item.split('=');
    if (v === 'y') out[name] = '1';
    else if (v === 'm') out[`${name}_MODULE`] = '1';
    else out[name] = v;
  }
  return out;
}

describe('configuration-aware analysis', () => {
  for (const name of fs.readdirSync(DIR).filter(f => f.endsWith('.c')).sort()) {
    it(`${name}: the branches its configuration compiles`, async () => {
      const parser = await loadParser();
      const text = fs.readFileSync(path.join(DIR, name), 'utf8');
      const exp = expectationsOf(text);
      const got = analyseSource(parser, text, { config: configOf(text) }).findings;
      const actual = new Set(got.map(f => `${f.range.start.line + 1}:${f.code}`));
      assert.deepStrictEqual([...actual].sort(), [...exp.expected].sort(), got.map(f => `${f.range.start.line + 1}: ${f.message}`).join('\n'));
      for (const line of exp.clean) assert.ok(!got.some(f => f.range.start.line + 1 === line), `${name}:${line} is marked // no finding`);
    });
  }

  it('without a configuration, nothing changes: the #if branch of a block, both sides of IS_ENABLED()', async () => {
    const parser = await loadParser();
    const text = fs.readFileSync(path.join(DIR, 'enabled.c'), 'utf8');
    const lines = (config: KernelConfig | null | undefined) =>
      analyseSource(parser, text, config === undefined ? {} : { config }).findings.map(f => f.range.start.line + 1).sort((a, b) => a - b);
    const plain = lines(undefined);
    assert.deepStrictEqual(lines(null), plain);
    const at = (needle: string, from = 0) => text.split('\n').findIndex((l, i) => i >= from && l.includes(needle)) + 1;
    // both sides of the C condition are simulated: the put in its then-branch is found
    assert.ok(plain.includes(at('release_pages(pages, ret); // expect', at('xdemo_c_condition'))), String(plain));
    // both definitions of xdemo_left_out() are analysed: the #ifdef one too
    assert.ok(plain.includes(at('release_pages(pages, ret); // no finding', at('xdemo_left_out'))), String(plain));
  });
});
