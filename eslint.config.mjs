// ESLint 9 flat config: typescript-eslint's recommended rules (syntax only, not type-aware) over src/.
// `npm run lint`. Layout is Prettier's job (.prettierrc.json, `npm run format:check`), not ESLint's.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'build/', 'node_modules/'] },
  {
    files: ['src/**/*.ts', 'src/**/*.mts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A leading underscore marks a parameter an interface requires and the body does not use
      // (SpanProcessor.onStart(_span, _parentContext)...).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
);
