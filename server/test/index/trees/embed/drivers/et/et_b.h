struct et_box {
	struct et_other in;
};
