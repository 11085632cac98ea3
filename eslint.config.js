// @ts-check
/**
 * Lint for every workspace (`npm run lint`, part of `npm test`). Type-aware rules catch what
 * the compiler lets through: promises nobody awaits or catches, promises handed to callbacks
 * that ignore them, `await` on values that are not thenable.
 */
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/coverage/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false }],
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
    },
  },
  {
    // Library code logs through pino; only programs (main, cli) and scripts write to the console.
    files: ['{models,broker,ingest,edge-agent,dashboards}/src/**/*.ts'],
    ignores: ['**/main.ts', '**/cli.ts', '**/*.test.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // No `any` across module boundaries: library code and the test support every suite imports.
    files: ['{models,broker,ingest,edge-agent,dashboards}/src/**/*.ts', 'test/support/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  },
  {
    // A package reaches another only through its name and its package.json "exports"
    // (`@shanshui/edge-agent/testing`, `@shanshui/models/testing`…), never through its files.
    // (web/app is bundled for the browser from models' sources; scripts/ are not a package.)
    files: ['{models,broker,ingest,edge-agent,dashboards,test}/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(models|broker|ingest|edge-agent|dashboards|web|test)/',
              message: 'Import another package by its name and a subpath its package.json "exports" lists, not through its files.',
            },
          ],
        },
      ],
    },
  },
);
