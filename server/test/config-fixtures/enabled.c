// The build's configuration decides which branch is analysed.
// config: CONFIG_XDEMO_PIN=y CONFIG_XDEMO_MOD=m CONFIG_XDEMO_DIRECT=y CONFIG_XDEMO_LEVEL=2
#include <linux/mm.h>

/* #ifdef: the pinning branch is compiled, and it puts what it pinned */
int xdemo_ifdef(unsigned long uaddr, struct page **pages, int nr)
{
	int i, ret;

#ifdef CONFIG_XDEMO_PIN
	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret;
	for (i = 0; i < ret; i++)
		put_page(pages[i]); // expect: mismatched-release
#else
	ret = get_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret;
	unpin_user_pages(pages, ret); // no finding
#endif
	return 0;
}

/* #ifndef of a set option: its #else is compiled */
int xdemo_ifndef(unsigned long uaddr, struct page **pages, int nr)
{
	int ret;

#ifndef CONFIG_XDEMO_PIN
	ret = get_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret;
	unpin_user_pages(pages, ret); // no finding
#else
	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret;
	release_pages(pages, ret); // expect: mismatched-release
#endif
	return 0;
}

/* #if IS_ENABLED() of a module option (=m) */
int xdemo_is_enabled(unsigned long uaddr, struct page **pages, int nr)
{
	int ret;

	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret;
#if IS_ENABLED(CONFIG_XDEMO_MOD) && !defined(CONFIG_XDEMO_ABSENT)
	release_pages(pages, ret); // expect: mismatched-release
#elif CONFIG_XDEMO_LEVEL > 1
	unpin_user_pages(pages, ret); // no finding
#else
	unpin_user_pages(pages, ret); // no finding
#endif
	return 0;
}

/* #elif: the first condition is not set, the second is */
int xdemo_elif(unsigned long uaddr, struct page **pages, int nr)
{
	int ret;

	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret;
#if defined(CONFIG_XDEMO_ABSENT)
	unpin_user_pages(pages, ret); // no finding
#elif IS_BUILTIN(CONFIG_XDEMO_PIN)
	release_pages(pages, ret); // expect: mismatched-release
#else
	unpin_user_pages(pages, ret); // no finding
#endif
	return 0;
}

/* IS_ENABLED() in a C condition: only the branch the build keeps */
int xdemo_c_condition(unsigned long uaddr, struct page **pages, int nr)
{
	int ret;

	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret;
	if (IS_ENABLED(CONFIG_XDEMO_DIRECT))
		release_pages(pages, ret); // expect: mismatched-release
	else
		unpin_user_pages(pages, ret); // no finding
	return 0;
}

/* a function the build leaves out is not analysed */
#ifdef CONFIG_XDEMO_ABSENT
int xdemo_left_out(unsigned long uaddr, struct page **pages, int nr)
{
	int ret = pin_user_pages_fast(uaddr, nr, 0, pages);

	if (ret > 0)
		release_pages(pages, ret); // no finding
	return 0;
}
#else
int xdemo_left_out(unsigned long uaddr, struct page **pages, int nr)
{
	int ret = pin_user_pages_fast(uaddr, nr, 0, pages);

	if (ret > 0)
		unpin_user_pages(pages, ret); // no finding
	return 0;
}
#endif
