// The linter and the formatter of `npm test` (`npm run lint`): typescript-eslint's
// recommended rules for what is likely a mistake, and @stylistic's rules, set
// to the style the code is already written in, for its layout (`npx eslint
// --fix` applies them). Why not a reformatting tool (Prettier, Biome's
// formatter): they would rewrite every file to their own line breaks, and the
// code's one-line `if … else if …` chains and aligned tables read better as
// they are; one tool for both jobs also keeps one configuration.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import stylistic from '@stylistic/eslint-plugin';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', '.e2e/**', 'test-artifacts/**', 'server/test/**/fixtures/**', 'server/test/e2e/review-workspace/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
    plugins: { '@stylistic': stylistic },
    rules: {
      '@stylistic/indent': ['error', 2, { SwitchCase: 1, flatTernaryExpressions: true, ignoredNodes: ['ConditionalExpression'] }],
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: true }],
      '@stylistic/semi': ['error', 'always'],
      '@stylistic/comma-dangle': ['error', 'always-multiline'],
      '@stylistic/no-trailing-spaces': 'error',
      '@stylistic/eol-last': 'error',
      '@stylistic/keyword-spacing': 'error',
      '@stylistic/space-before-blocks': 'error',
      '@stylistic/object-curly-spacing': ['error', 'always'],
      '@stylistic/arrow-spacing': 'error',
      '@stylistic/no-multiple-empty-lines': ['error', { max: 1 }],
    },
  },
  // (TypeScript itself reports undefined names)
  { files: ['**/*.ts'], rules: { 'no-undef': 'off' } },
  // the webview's script runs in the browser
  { files: ['media/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
);
