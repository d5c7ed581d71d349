// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettierRecommended from 'eslint-plugin-prettier/recommended';
import { builtinModules } from 'node:module';

// Workflow code is bundled and replayed: it must not reach Node built-ins or I/O clients.
const ioModules = [
  'mongodb',
  'express',
  'pino',
  'pino-http',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  '@aws-sdk/*',
];
const forbiddenInWorkflows = [...builtinModules, ...builtinModules.map((m) => `node:${m}`), ...ioModules];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      '.tools/',
      '.data/',
      'coverage/',
      'console/dist/',
      'console/src/api-types.ts',
      'test-results/',
      'eslint.config.mjs',
      'jest.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['workflows/**/*.ts', 'shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: forbiddenInWorkflows
            .filter((m) => !m.includes('*'))
            .map((name) => ({
              name,
              message: 'Workflow code must stay deterministic: no Node built-ins or I/O modules (use an activity).',
            })),
          patterns: [
            {
              // Any depth (workflows/support imports ../../activities/...; adapters sit in activities/platforms/).
              group: ['@aws-sdk/*', '**/activities/**', '**/api/**', '**/infra/**', '**/store/**', '**/workers/**'],
              message: 'Workflow code may import only types from side-effecting modules (import type).',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  // Prettier (.prettierrc.json, 120 columns) as a lint rule: `eslint --fix` formats.
  prettierRecommended,
);
