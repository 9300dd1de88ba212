/* A message that keeps its ops inline: the atomic op is an embedded struct
 * defined inside an anonymous union. */
#include <linux/em_sgl.h>

struct em_message {
	int m_flags;
	union {
		struct em_atomic_op {
			int op_type;
			struct scatterlist *op_sg;	/* one entry */
			unsigned int op_active:1;
		} atomic;
		struct em_rdma_op {
			struct scatterlist *op_sg;
			unsigned int op_nents;
		} rdma;
	};
	struct em_rsgl *m_rsgl;		/* pointed to */
};
