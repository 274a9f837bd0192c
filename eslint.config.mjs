// Lint rules for the TypeScript (and the few plain JavaScript scripts): typescript-eslint's recommended set,
// without type information (a whole-program type-checked lint costs minutes on CI's 2 cores; tsc -b already
// type-checks strictly). Layout is prettier's job (.prettierrc.json), not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/', 'build/', 'node_modules/', 'prebuilds/', '.test-tmp/', 'test-artifacts/', '.cache/', 'docs/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        __dirname: 'readonly',
        require: 'readonly',
        module: 'writable',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        performance: 'readonly',
      },
    },
    rules: {
      // Lazy require() keeps start-up small (cli/run.ts loads what a run needs when it needs it).
      '@typescript-eslint/no-require-imports': 'off',
      // `_` marks what is deliberately unused (destructuring that drops fields, callbacks' fixed parameters).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // A bounded loop that ends from inside (while (true) { ... break; }) is clearer than a made-up condition.
      'no-constant-condition': ['error', { checkLoops: false }],
      // Control characters are what a terminal, a serial line and a VGA screen are made of.
      'no-control-regex': 'off',
      // Tests match aligned columns of text ("ax 0000  bx 0000"): the spaces as they appear read best.
      'no-regex-spaces': 'off',
      // A callback registered before the value it reads is assigned (let x; on(() => x); x = await ...).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    rules: { '@typescript-eslint/no-var-requires': 'off' },
  },
);
