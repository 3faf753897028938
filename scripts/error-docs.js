#!/usr/bin/env node
// Writes docs/errors.md from the built error catalogues (dist/lib/errors/,
// see scripts/bundle.js): every code nepho throws, with its meaning and hint,
// the core catalogue first, then each provider's. Run after `npm run build`
// (`npm run docs:errors` does both).
//
//   node scripts/error-docs.js            write docs/errors.md
//   node scripts/error-docs.js --check    write nothing; exit 1 if docs/errors.md is stale
//   node scripts/error-docs.js --check F  the same, for the file F
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '..');
const BUILT = join(ROOT, 'dist', 'lib', 'errors');
const DOCS = join(ROOT, 'docs', 'errors.md');

/** The built catalogues: `[title, catalogue]`, core first, then providers by name. */
async function catalogues() {
  if (!existsSync(join(BUILT, 'core.js'))) throw new Error(`${relative(ROOT, BUILT)}/core.js: not built; run npm run build first`);
  const load = async (file) => import(pathToFileURL(file).href);
  const groups = [['Core', (await load(join(BUILT, 'core.js'))).ERRORS]];
  const providers = join(BUILT, 'providers');
  for (const file of readdirSync(providers)
    .filter((f) => f.endsWith('.js'))
    .sort()) {
    groups.push([`Provider \`${file.slice(0, -'.js'.length)}\``, (await load(join(providers, file))).PROVIDER_ERRORS]);
  }
  return groups;
}

/** A table cell, as written: no pipe or line break ends it early, no `<word>` reads as HTML. */
const cell = (text) =>
  (text ?? '')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\s*\n\s*/g, ' ');

/** The whole of docs/errors.md for the given catalogues. */
export function renderErrorDocs(groups) {
  const lines = [
    '# nepho error codes',
    '',
    '<!-- Written by scripts/error-docs.js from src/error-catalogue.ts and src/providers/*/errors.ts: edit those, then run npm run docs:errors. -->',
    '',
    "Every error a user can fix carries a stable code, part of nepho's interface: once released, a code",
    'is never renamed, removed or given another meaning. nepho prints the message and, when there is one,',
    "a hint. A core code thrown without a hint of its own gets the hint below; a provider's codes are",
    'always thrown with their own wording of it. Plugins may throw codes of their own, not listed here.',
  ];
  for (const [title, catalogue] of groups) {
    lines.push('', `## ${title}`, '', '| Code | Meaning | Hint |', '| --- | --- | --- |');
    for (const code of Object.keys(catalogue).sort()) {
      const { meaning, hint } = catalogue[code];
      lines.push(`| \`${code}\` | ${cell(meaning)} | ${cell(hint)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const expected = renderErrorDocs(await catalogues());
  const args = process.argv.slice(2);
  if (args[0] === '--check') {
    const file = args[1] ?? DOCS;
    const actual = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    if (actual !== expected) {
      process.stderr.write(`${relative(process.cwd(), file)} is out of date with the error catalogues: run npm run docs:errors\n`);
      process.exitCode = 1;
    }
  } else {
    mkdirSync(dirname(DOCS), { recursive: true });
    writeFileSync(DOCS, expected);
    const codes = expected.split('\n').filter((line) => line.startsWith('| `')).length;
    process.stdout.write(`${relative(process.cwd(), DOCS)}: ${codes} codes\n`);
  }
}
