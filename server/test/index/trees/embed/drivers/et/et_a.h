struct et_box {
	struct et_inner in;
};
