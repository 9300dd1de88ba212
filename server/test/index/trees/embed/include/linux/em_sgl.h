/* An sg list of extracted pages and whether they were pinned, embedded in
 * the request that owns it. */
struct em_sgl {
	struct sg_table sgt;
	struct scatterlist sgl[17];
	bool need_unpin;
};

struct em_rsgl {
	struct em_sgl sgl;
	struct list_head list;
};
