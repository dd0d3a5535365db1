// ESLint (flat config): the recommended rules of ESLint and typescript-eslint for the UI's
// TypeScript and the Node scripts and tests around it; formatting is Prettier's
// (eslint-config-prettier turns off the rules that would disagree with it).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Generated (src/api-types.ts: scripts/api-types.mjs) or built.
  { ignores: ['dist/', 'node_modules/', 'src/api-types.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['src/**/*.ts'], languageOptions: { globals: globals.browser } },
  { files: ['scripts/**/*.mjs', '*.config.*'], languageOptions: { globals: globals.node } },
  // The e2e tests run in Node and hand functions to the browser (page.evaluate).
  {
    files: ['tests/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    rules: {
      // `_name` marks a parameter kept for its place in a signature.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  prettier,
);
