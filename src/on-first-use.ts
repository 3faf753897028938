/**
 * Packages the start-up bundle evaluates only when a command first uses them.
 * Importing a package evaluates it at once, on every run: chalk builds its
 * style tables (half a millisecond; most output has no colour) and
 * fastest-levenshtein a 256 KB table (only a mistyped command needs it). In
 * the start-up bundle scripts/bundle.js turns each entry below into a
 * `require()` that esbuild evaluates on its first call; everywhere else
 * (tests, the modules loaded on demand) this file is what runs.
 *
 * Each entry is `name: () => module`, the module imported whole above; write
 * no type annotations here (the bundle's copy is generated from this text).
 */
import * as chalk from 'chalk';
import * as levenshtein from 'fastest-levenshtein';

/** Each package's module, evaluated on first call in the start-up bundle. */
export const onFirstUse = {
  chalk: () => chalk,
  levenshtein: () => levenshtein,
};
