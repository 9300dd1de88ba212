// The build's configuration decides which branch is analysed.
// config: CONFIG_XDEMO_ABSENT=y CONFIG_XDEMO_LEVEL=0
#include <linux/mm.h>

/* #ifdef of an option not set: the #else branch is compiled, and it unpins what it got */
int xdemo_ifdef(unsigned long uaddr, struct page **pages, int nr)
{
	int i, ret;

#ifdef CONFIG_XDEMO_PIN
	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret;
	for (i = 0; i < ret; i++)
		put_page(pages[i]); // no finding
#else
	ret = get_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret;
	unpin_user_pages(pages, ret); // expect: mismatched-release
#endif
	return 0;
}

/* #ifndef of an option not set: its first branch is compiled */
int xdemo_ifndef(unsigned long uaddr, struct page **pages, int nr)
{
	int ret;

#ifndef CONFIG_XDEMO_PIN
	ret = get_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret;
	unpin_user_pages(pages, ret); // expect: mismatched-release
#else
	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret;
	release_pages(pages, ret); // no finding
#endif
	return 0;
}

/* #if IS_ENABLED() of an option not set, #elif the configuration cannot decide (a comparison): the #elif branch */
int xdemo_is_enabled(unsigned long uaddr, struct page **pages, int nr)
{
	int ret;

	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret;
#if IS_ENABLED(CONFIG_XDEMO_MOD) && !defined(CONFIG_XDEMO_ABSENT)
	release_pages(pages, ret); // no finding
#elif CONFIG_XDEMO_LEVEL > 1
	unpin_user_pages(pages, ret); // no finding
#else
	unpin_user_pages(pages, ret); // no finding
#endif
	return 0;
}

/* #elif: the first condition holds */
int xdemo_elif(unsigned long uaddr, struct page **pages, int nr)
{
	int ret;

	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret;
#if defined(CONFIG_XDEMO_ABSENT)
	unpin_user_pages(pages, ret); // no finding
#elif IS_BUILTIN(CONFIG_XDEMO_PIN)
	release_pages(pages, ret); // no finding
#else
	unpin_user_pages(pages, ret); // no finding
#endif
	return 0;
}

/* IS_ENABLED() in a C condition, the option not set: only the else branch */
int xdemo_c_condition(unsigned long uaddr, struct page **pages, int nr)
{
	int ret;

	ret = pin_user_pages_fast(uaddr, nr, 0, pages);
	if (ret <= 0)
		return ret;
	if (IS_ENABLED(CONFIG_XDEMO_DIRECT))
		release_pages(pages, ret); // no finding
	else
		unpin_user_pages(pages, ret); // no finding
	return 0;
}

/* of two definitions, the one the build compiles is analysed */
#ifdef CONFIG_XDEMO_ABSENT
int xdemo_left_out(unsigned long uaddr, struct page **pages, int nr)
{
	int ret = pin_user_pages_fast(uaddr, nr, 0, pages);

	if (ret > 0)
		release_pages(pages, ret); // expect: mismatched-release
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
