// ESLint for the whole repository (run by `npm run lint`, part of `npm test`).
// typescript-eslint's recommended rules everywhere; the React hooks rules in the renderer.
// Type-aware rules are left out: tsc already checks types in `npm run typecheck`, and the
// type-aware pass would double the lint time on a two-core CI machine.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'dist/**', 'release/**', 'e2e/artifacts/**', 'test-results/**', 'playwright-report/**', '.tmp/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', queueMicrotask: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly', performance: 'readonly', globalThis: 'readonly' } },
    rules: {
      // Unused names are errors, except the conventional `_` prefix for a deliberately ignored one.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
      // `no-undef` is what tsc does better for TypeScript (and knows every global).
      'no-undef': 'off',
      // Protocol code checks for control characters on purpose (file names, kernel command lines).
      'no-control-regex': 'off',
    },
  },
  {
    // The preload bundle is CommonJS with 'electron' external: a plain require is the way in.
    files: ['electron/preload.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // This rule only reports that the React Compiler would skip a component (TanStack Virtual);
      // the app does not use the compiler.
      'react-hooks/incompatible-library': 'off',
    },
  },
);
