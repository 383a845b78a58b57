import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'data/', 'node_modules/', 'test-output/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', {
        selector: "MemberExpression[object.name='process'][property.name='env']",
        message: 'Only src/config.ts reads process.env.',
      }],
    },
  },
  { files: ['src/config.ts', 'test/**', 'bench/**'], rules: { 'no-restricted-syntax': 'off' } },
  // The page is a client of the HTTP API like any other: of the server's code it may share only
  // the stand-alone client's (src/client), never what reaches the database.
  {
    files: ['web/src/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/src/*', '!**/src/client'], message: 'The page uses only the HTTP API (web/src/api.ts).' }] }],
    },
  },
  // Tests read JSON answers field by field; typing every answer would add nothing they check.
  { files: ['test/**', 'bench/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
