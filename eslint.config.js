// ESLint flat config: typescript-eslint's type-aware recommended rules, plus the rules that
// catch real defects in this code base (promises nobody awaits or handles, promises where a
// callback expects a plain value, unused code, `any` without a stated reason).
// Formatting is Prettier's job (.prettierrc), so no stylistic rules here.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * `any` is allowed only where a comment says why: an eslint-disable directive for
 * no-explicit-any must carry a description (`-- why`). A directive without one is reported.
 */
const anyNeedsReason = {
  meta: { type: 'suggestion', messages: { missing: 'Say why `any` is needed here: `eslint-disable… no-explicit-any -- <reason>`.' }, schema: [] },
  create(context) {
    return {
      Program() {
        for (const comment of context.sourceCode.getAllComments()) {
          const text = comment.value.trim();
          if (/^eslint-disable(?:-next-line|-line)?\b/.test(text) && text.includes('no-explicit-any') && !/\s--\s*\S/.test(text)) {
            context.report({ loc: comment.loc, messageId: 'missing' });
          }
        }
      },
    };
  },
};

export default defineConfig(
  {
    ignores: ['node_modules/', 'dist/', 'native/memory-merge/build/', 'core-wasm/testcore/', 'data/', '.scratch/', '.vitest-cache/'],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // (import.meta.dirname would need Node 20.11; engines allow 20.10.)
      parserOptions: { projectService: true, tsconfigRootDir: dirname(fileURLToPath(import.meta.url)) },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { local: { rules: { 'any-needs-reason': anyNeedsReason } } },
    rules: {
      'local/any-needs-reason': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Vitest types its asymmetric matchers (expect.any, expect.objectContaining...) as `any` on
    // purpose, so they fit anywhere in an expected value, and its documentation nests them in
    // expected objects. This rule reports each such property; in test files the other
    // no-unsafe-* rules still catch an untyped value being used.
    files: ['test/**/*.test.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    // This file is plain JavaScript outside the TypeScript project.
    files: ['eslint.config.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // The playground page: plain browser ES modules, outside the TypeScript project.
    files: ['src/playground/page/**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'localStorage',
          'sessionStorage',
          'crypto',
          'fetch',
          'console',
          'setTimeout',
          'createImageBitmap',
          'File',
          'FormData',
          'URL',
          'URLSearchParams',
        ].map((n) => [n, 'readonly']),
      ),
    },
  },
);
