/**
 * The typed application errors live in leaf code (`src/lib/errors.ts`) so that `src/lib/`
 * can throw them without depending on anything above it; this re-export keeps the
 * established import path working.
 */
export * from '../lib/errors'
