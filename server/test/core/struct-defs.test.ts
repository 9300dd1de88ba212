// The text-level reader of struct definitions (core/struct-defs.ts): members
// of struct type, inline and anonymous ones, and bounded work on text that
// never closes its braces.
import * as assert from 'assert';
import { structDefinitions } from '../../src/core/struct-defs';

describe('struct definitions from text', () => {
  it('reads embedded, pointer and array members, inline definitions and anonymous unions', () => {
    const defs = structDefinitions(`
/* a comment with struct fake { struct nope n; } */
struct msg {
	int flags;
	struct {
		struct atomic_op {
			struct scatterlist *op_sg;
		} atomic;
		union { struct rdma_op rdma; struct data_op data; };
	};
	struct sg_table sgt;
	struct page **pages, *page;
	struct bio_vec bv[4];
#ifdef CONFIG_X
	struct extra_t extra;
#endif
	int (*cb)(struct msg *m);
	unsigned int bits : 3;
};`);
    assert.deepStrictEqual(defs.get('msg'), { atomic: 'atomic_op', rdma: 'rdma_op', data: 'data_op', sgt: 'sg_table', pages: '*page', page: '*page', bv: 'bio_vec[]', extra: 'extra_t' });
    assert.deepStrictEqual(defs.get('atomic_op'), { op_sg: '*scatterlist' });
    assert.strictEqual(defs.has('fake'), false);
  });

  it('a struct defined twice with different members is not resolved (null); twice the same, it is', () => {
    const defs = structDefinitions('struct a { struct b x; };\nstruct a { struct c x; };\nstruct d { struct e y; };\nstruct d { struct e y; };');
    assert.strictEqual(defs.get('a'), null);
    assert.deepStrictEqual(defs.get('d'), { y: 'e' });
  });

  it('stays bounded on braces that never close', () => {
    const t0 = Date.now();
    structDefinitions('struct a {\n'.repeat(200_000));
    structDefinitions('struct b { struct c { union {'.repeat(50_000));
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  });
});
