import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// A lib is used through its index (`@breakwater/<lib>`): its inner files may move without breaking callers.
const libBoundaries = [
  {
    regex: '^@breakwater/[^/]+/',
    message: 'Import the lib through its index, `@breakwater/<lib>`, not its inner files.',
  },
  {
    // `../libs/...` from tests or apps, `../../other-lib/src/...` from inside a lib.
    regex: '^(\\.\\./)+(libs/|[^./][^/]*/src(/|$))',
    message: "Import another lib through `@breakwater/<lib>`; export what you need from that lib's index.",
  },
];

export default tseslint.config(
  { ignores: ['**/dist/**', 'node_modules/**', 'coverage/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Only libs/config reads process.env.',
        },
      ],
      'no-restricted-imports': ['error', { patterns: libBoundaries }],
    },
  },
  {
    // What ships never depends on the test lib.
    files: ['{apps,libs}/**/*.ts'],
    ignores: ['**/*.spec.ts', 'libs/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: '@breakwater/testing', message: '@breakwater/testing is for specs only.' }],
          patterns: libBoundaries,
        },
      ],
    },
  },
  {
    // @types/jest types the asymmetric matchers (expect.any, expect.objectContaining, expect.stringContaining,
    // expect.arrayContaining...) as returning `any`, so each use inside an expected object or a toThrow()
    // reads as an unsafe any flow. Jest's typed `expect` lives in @jest/globals, not a declared dependency.
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: globals.node,
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['libs/config/**/*.ts', 'test/**', 'bench/**', 'scripts/**', 'jest.config.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
