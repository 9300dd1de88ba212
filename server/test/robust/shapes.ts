// Hostile but well-formed kernel-style C for the robustness tests: deep
// nesting and big single functions (issue: "never hang, never crash").
// Each shape pins pages first, so the function is one the analysis runs on.

const HEAD = 'int f(unsigned long a, int n, struct page **pages)\n{\n\tint i, ret = pin_user_pages_fast(a, n, FOLL_WRITE, pages);\n\tif (ret <= 0)\n\t\treturn ret;\n';
const TAIL = '\tunpin_user_pages(pages, ret);\n\treturn 0;\n}\n';
const repeat = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('');

/** Nesting the stack cannot take if walked by recursion. */
export const DEEP: Record<string, string> = {
  'blocks-2000': HEAD + '{'.repeat(2000) + 'put_page(pages[0]);' + '}'.repeat(2000) + '\n' + TAIL,
  'ifs-1000': HEAD + repeat(1000, i => `if (a > ${i}) `) + 'put_page(pages[0]);\n' + TAIL,
  'if-blocks-1000': HEAD + repeat(1000, i => `if (a > ${i}) {\n`) + 'put_page(pages[0]);\n' + '}\n'.repeat(1000) + TAIL,
  'else-ifs-2000': HEAD + repeat(2000, i => `\t${i ? 'else ' : ''}if (n == ${i})\n\t\tn++;\n`) + TAIL,
  'parens-20000': HEAD + '\ti = ' + '('.repeat(20000) + 'ret' + ')'.repeat(20000) + ';\n' + TAIL,
  'sum-20000': HEAD + '\ti = ret' + ' + ret'.repeat(20000) + ';\n' + TAIL,
  'calls-3000': HEAD + '\ti = ' + 'g('.repeat(3000) + 'ret' + ')'.repeat(3000) + ';\n' + TAIL,
  'not-20000': HEAD + '\tif (' + '!'.repeat(20000) + 'ret)\n\t\tput_page(pages[0]);\n' + TAIL,
};

/**
 * Nesting just under the depth limit (350 syntax levels or so): analysed, on
 * a stack of the default size, in bounded time (a walk that evaluates each
 * level twice would take 2^depth).
 */
export const NEAR_LIMIT: Record<string, string> = {
  blocks: HEAD + '{'.repeat(350) + 'put_page(pages[0]);' + '}'.repeat(350) + '\n' + TAIL,
  ifs: HEAD + repeat(350, i => `if (a > ${i}) `) + 'put_page(pages[0]);\n' + TAIL,
  'else-ifs': HEAD + repeat(170, i => `\t${i ? 'else ' : ''}if (ret == ${i})\n\t\tput_page(pages[0]);\n`) + TAIL,
  'and-chain': HEAD + '\tif (ret' + ' && ret'.repeat(350) + ')\n\t\tput_page(pages[0]);\n' + TAIL,
  'nested-calls': HEAD + '\ti = ' + 'g('.repeat(170) + 'ret' + ')'.repeat(170) + ';\n' + TAIL,
  'nested-calls-around-an-acquire': HEAD + '\ti = ' + 'g('.repeat(170) + 'pin_user_pages_fast(a, n, FOLL_WRITE, pages)' + ')'.repeat(170) + ';\n' + TAIL,
  'nested-calls-in-a-release': HEAD + '\tunpin_user_pages(' + 'h('.repeat(170) + 'pages' + ')'.repeat(170) + ', ret);\n' + TAIL,
  ternaries: HEAD + '\ti = ' + repeat(170, () => 'ret ? ret : ') + '0;\n' + TAIL,
  'ternary-condition': HEAD + '\tif (' + repeat(170, () => 'ret ? ret : ') + '0)\n\t\tput_page(pages[0]);\n' + TAIL,
  assignments: HEAD + '\t' + 'i = '.repeat(350) + 'ret;\n' + TAIL,
  negations: HEAD + '\tif (' + '!'.repeat(350) + 'ret)\n\t\tput_page(pages[0]);\n' + TAIL,
};

/** Nesting well under the depth limit: analysed as usual (here a finding under 60 nested blocks). */
export const NESTED_OK = HEAD + '{'.repeat(60) + 'put_page(pages[0]);' + '}'.repeat(60) + '\n' + TAIL;

/** Single functions whose states or findings grow without bound. */
export const BIG: Record<string, string> = {
  'ifs-200-around-acquires': 'int g(unsigned long a, int n, struct page **pages)\n{\n\tint ret = 0;\n'
    + repeat(200, i => `\tif (n & ${1 << (i % 30)}) {\n\t\tret = pin_user_pages_fast(a + ${i}, n, FOLL_WRITE, pages);\n\t\tif (ret > 0 && n > ${i})\n\t\t\tunpin_user_pages(pages, ret);\n\t}\n`)
    + '\treturn ret;\n}\n',
  'ifs-500-around-acquires': 'int g(unsigned long a, int n, struct page **pages)\n{\n\tint ret = 0;\n'
    + repeat(500, i => `\tif (n & ${1 << (i % 30)}) {\n\t\tret = pin_user_pages_fast(a + ${i}, n, FOLL_WRITE, pages);\n\t\tif (ret > 0 && n > ${i})\n\t\t\tunpin_user_pages(pages, ret);\n\t}\n`)
    + '\treturn ret;\n}\n',
  'release-loops-10000': HEAD + repeat(10000, () => '\tfor (i = 0; i < ret; i++)\n\t\tput_page(pages[i]);\n') + '\treturn 0;\n}\n',
  'releases-10000': HEAD + repeat(10000, () => '\tunpin_user_pages(pages, ret);\n') + '\treturn 0;\n}\n',
};
