// ESLint with typescript-eslint's type-checked rules: the mistakes the compiler lets
// through (a promise nobody awaits or catches, a promise passed where a callback's
// result is ignored, an `any` read unchecked, a focused or skipped test). Every rule of
// the preset is an error, in tests and benchmarks too (they read JSON as a declared
// type: test/support/ has typed matchers, EMF and template readers), and `npm run lint`
// allows no warning. .ci/run runs it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const FOCUS = 'a focused test silently skips the rest of the suite';
const SKIP = 'say why with skipIf(condition) instead of skipping unconditionally';

export default tseslint.config(
  { ignores: ['node_modules/**', 'infra/cdk.out/**', '.sluice/**', 'coverage/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      'no-restricted-properties': ['error',
        { object: 'describe', property: 'only', message: FOCUS },
        { object: 'it', property: 'only', message: FOCUS },
        { object: 'test', property: 'only', message: FOCUS },
        { object: 'describe', property: 'skip', message: SKIP },
        { object: 'it', property: 'skip', message: SKIP },
        { object: 'test', property: 'skip', message: SKIP },
      ],
      // Indexed reads carry `!` on purpose: the tsconfig does not turn on
      // noUncheckedIndexedAccess, and the `!` states where the code relies on a bound.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Async functions without await keep one signature across implementations
      // (handlers, sources); a forgotten await is what no-floating-promises catches.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
  },
  {
    // The dashboard's browser script: browser globals, which this config does not list.
    files: ['query/dashboard/**/*.js'],
    rules: { 'no-undef': 'off' },
  },
);
