// Control flow and kernel macros: the shapes that decide whether a release is
// on a path at all.
import * as assert from 'assert';
import { analyseSource } from '../../src/core/analyse';
import { preprocess } from '../../src/core/macros';
import { loadParser } from '../../src/host/treesitter';

async function check(src: string) {
  return analyseSource(await loadParser(), src, {});
}

describe('macros and control flow', () => {
  it('blanks annotation macros and keeps offsets', () => {
    const src = 'static int __init __must_check f(char __user *p) { return 0; }';
    const out = preprocess(src);
    assert.strictEqual(out.length, src.length);
    assert.ok(!/__init|__user|__must_check/.test(out));
  });

  it('turns iterator macros with a body into loops, not their definitions', () => {
    const src = '#define for_each_x(a, b) for (;;)\nvoid f(void) { list_for_each_entry(pos, head, list) { g(pos); } }';
    const out = preprocess(src);
    assert.match(out, /while\s+\(pos, head, list\)/);
    assert.match(out, /#define for_each_x/);
  });

  it('finds a function named by SYSCALL_DEFINE and checks it', async () => {
    const r = await check(`SYSCALL_DEFINE2(xpoke, unsigned long, addr, int, v)
{
	struct page *page;
	if (pin_user_pages_fast(addr, 1, FOLL_WRITE, &page) != 1)
		return -EFAULT;
	put_page(page);
	return 0;
}`);
    assert.deepStrictEqual(r.findings.map(f => [f.code, f.function]), [['mismatched-release', 'sys_xpoke']]);
  });

  it('follows a goto into an unwind ladder and a release under #ifdef', async () => {
    const r = await check(`int f(unsigned long a, int n, struct page **pages)
{
	int ret = pin_user_pages_fast(a, n, 0, pages);
	if (ret < 0)
		return ret;
	if (ret != n)
		goto out;
	ret = 0;
out:
#ifdef CONFIG_X
	unpin_user_pages(pages, n);
#endif
	return ret;
}`);
    assert.deepStrictEqual(r.findings.map(f => [f.code, f.range.start.line]), [['release-count-mismatch', 10]]);
  });

  it('gives up with analysis-incomplete, not a guess, when the path budget runs out', async () => {
    const ifs = Array.from({ length: 14 }, (_, i) => `\tif (c${i}) x${i} = ret;`).join('\n');
    const r = analyseSource(await loadParser(), `int f(unsigned long a, struct page **p)\n{\n\tint ret = pin_user_pages_fast(a, 4, 0, p);\n${ifs}\n\tif (ret > 0) unpin_user_pages(p, ret);\n\treturn 0;\n}`, { pathBudget: 8 });
    assert.deepStrictEqual(r.findings.map(f => f.code), ['analysis-incomplete']);
  });

  it('never throws on malformed C', async () => {
    for (const src of ['int f( {', '}}}}', 'static int f(void) { pin_user_pages_fast(', '/* unterminated', '\u0000\u0001', '']) {
      const r = await check(src);
      assert.ok(Array.isArray(r.findings));
    }
  });
});
