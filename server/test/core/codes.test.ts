// The finding codes are one list (core/types.ts CODES): every code has its
// documentation page with the core's default severity, and the settings the
// extension declares in package.json offer exactly those codes.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CODES, DEFAULT_SEVERITY } from '../../src/core/types';

const ROOT = path.join(__dirname, '..', '..', '..');
const DOCS = path.join(ROOT, 'docs', 'codes');

describe('finding codes', () => {
  it('every code has its docs/codes page, titled by the code, with its default severity', () => {
    for (const code of CODES) {
      const page = path.join(DOCS, `${code}.md`);
      assert.ok(fs.existsSync(page), `docs/codes/${code}.md is missing`);
      const text = fs.readFileSync(page, 'utf8');
      assert.strictEqual(text.split('\n')[0], `# ${code}`, `docs/codes/${code}.md: first line`);
      assert.match(text, new RegExp(`^Severity: \\*\\*${DEFAULT_SEVERITY[code]}\\*\\*$`, 'm'), `docs/codes/${code}.md: severity`);
    }
  });

  it('docs/codes holds no page for a code the core does not have', () => {
    const pages = fs.readdirSync(DOCS).filter(f => f.endsWith('.md')).map(f => f.slice(0, -3)).sort();
    assert.deepStrictEqual(pages, [...CODES].sort());
  });

  it('the three code lists of package.json are the core\'s codes, in its order', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const props = pkg.contributes.configuration.properties;
    assert.deepStrictEqual(props['pinlens.disabledCodes'].items.enum, [...CODES], 'pinlens.disabledCodes items');
    assert.deepStrictEqual(props['pinlens.severity'].propertyNames.enum, [...CODES], 'pinlens.severity propertyNames');
    assert.deepStrictEqual(Object.keys(props['pinlens.severity'].properties), [...CODES], 'pinlens.severity properties');
  });

  it('docs/contract.md lists every code with its default severity', () => {
    const text = fs.readFileSync(path.join(ROOT, 'docs', 'contract.md'), 'utf8');
    const rows = [...text.matchAll(/^\| `([a-z-]+)` \| (\w+) \|/gm)].map(m => [m[1], m[2]]);
    assert.deepStrictEqual(rows, CODES.map(c => [c, DEFAULT_SEVERITY[c]]));
  });
});
