#!/usr/bin/env node
// Writes docs/cli.md from the built nepho's own help: every command under its
// category, with its description, usage line and first example. Run after
// `npm run build`; `--check` exits 1 when the file is not what it would write.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'dist', 'nepho.cjs');
const env = { ...process.env, COLUMNS: '100', NO_COLOR: '1', NEPHO_HOME: join(ROOT, 'dist', 'docs-home') };
const help = (args) => execFileSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });

const general = help(['help']);
const sections = [];
let category = null;
for (const line of general.split('\n')) {
  if (/^[A-Z][a-z]+ commands$/.test(line)) sections.push((category = { title: line, names: [] }));
  const m = /^ {2}nepho (\S+)/.exec(line);
  if (m && category && m[1] !== '<command>') category.names.push(m[1]);
}

const out = [
  '# nepho commands',
  '',
  'Every command, with its usage and an example. `nepho help COMMAND` (or `nepho COMMAND --help`) shows its options, details and every example; ' +
    'each command also answers in its space form (`nepho cloudlet install`). Commands that report something take `-o json` or `-o yaml` ' +
    '(see the README, "JSON output"). This file is written by `node scripts/cli-docs.js` from the commands themselves.',
  '',
];
for (const { title, names } of sections) {
  out.push(`## ${title}`, '');
  for (const name of names) {
    const text = help([name, '--help']);
    const description = text.split('\n\n')[0].replace(/\n/g, ' ');
    const usage = /\nUsage\n\n {2}\$ (.+)/.exec(text)?.[1] ?? `nepho ${name}`;
    const example = /\nExamples\n\n(.+)\n {2}\$ (.+)/.exec(text);
    out.push(`### ${name}`, '', description, '', `    ${usage}`, '');
    if (example) out.push(`${example[1]}:`, '', `    ${example[2]}`, '');
  }
}
const doc = out.join('\n');
const file = join(ROOT, 'docs', 'cli.md');
if (process.argv.includes('--check')) {
  if (readFileSync(file, 'utf8') !== doc) {
    process.stderr.write('docs/cli.md is out of date: run node scripts/cli-docs.js\n');
    process.exit(1);
  }
} else {
  writeFileSync(file, doc);
  process.stdout.write(`docs/cli.md: ${sections.reduce((n, s) => n + s.names.length, 0)} commands\n`);
}
