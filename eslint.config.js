import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { DOMAIN_FOLDERS, IO_MODULES, KNOWN_EXCEPTIONS } from './services/layers.ts';

// Domain folders are pure: no I/O module (services/layers.ts has the list and its exceptions;
// deploy/tools/import-check.test.ts checks the folder layering as well).
const ioExceptions = KNOWN_EXCEPTIONS.filter((e) => !e.split(' -> ')[1].startsWith('services/')).map((e) => e.split(' -> ')[0]);

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.stack/**', '.cache/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: DOMAIN_FOLDERS.map((d) => `${d}/**/*.ts`),
    ignores: ioExceptions,
    rules: {
      'no-restricted-imports': ['error', {
        paths: IO_MODULES.map((name) => ({ name, message: 'Domain folders hold pure logic: do the I/O in the service around them (services/layers.ts).' })),
      }],
    },
  },
);
