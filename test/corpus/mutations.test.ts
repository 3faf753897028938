// Broken copies of the corpus: every template truncated, indented with tabs,
// and with a colon deleted; every Vagrantfile truncated. Whatever nepho makes
// of them, it never crashes: reading, lint and preparing a stack either pass
// or fail with one NephoError line that names the file, line and column
// (in-process for all of them), and the binary says so in one line too.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import t, { type Test } from 'tap';
import { isNephoError } from '../../src/errors.js';
import { lintTemplate } from '../../src/providers/cloudformation/lint.js';
import { prepareStack } from '../../src/providers/cloudformation/prepare.js';
import { readTemplate, templateDeclarations } from '../../src/providers/cloudformation/template.js';
import { checkRendered } from '../../src/providers/vagrant/lint.js';
import type { FormationSpec } from '../../src/providers/types.js';
import { corpusFiles, corpusParameters, inBatches, wrapAsCloudlet } from '../fixtures/corpus.js';
import { nepho, stderrLines } from '../fixtures/cli.js';
import { tempDir } from '../fixtures/paths.js';

t.setTimeout(600_000);

/** The three ways a file gets broken by hand. */
const MUTATIONS: Record<string, (text: string) => string> = {
  truncated: (text) => text.slice(0, Math.floor(text.length / 2)),
  tabs: (text) => text.replace(/^( {2})+/gm, (lead) => '\t'.repeat(lead.length / 2)),
  'colon deleted': (text) => {
    const at = text.indexOf(':', Math.max(0, text.search(/Resources/)) + 'Resources'.length + 1);
    return at < 0 ? text : text.slice(0, at) + text.slice(at + 1);
  },
};

/** A thrown value is a one-line NephoError naming `file` with a line and column (0 only for a whole-file problem). */
function userError(t: Test, error: unknown, file: string, what: string): void {
  if (!isNephoError(error)) {
    t.fail(`${what}: not a NephoError: ${(error as Error)?.stack ?? String(error)}`);
    return;
  }
  t.notMatch(error.message, /\n/, `${what}: one line`);
  if (error.message.startsWith(file))
    t.match(error.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `), `${what}: file:line:col`);
}

t.test('every corpus template, broken three ways: read, lint and prepare never crash, and name file:line:col', async (t) => {
  const dir = tempDir(t, 'nepho-mutations-');
  for (const original of corpusFiles('cloudformation')) {
    const text = readFileSync(original, 'utf8');
    for (const [how, mutate] of Object.entries(MUTATIONS)) {
      const what = `${basename(original)} ${how}`;
      const file = join(dir, `${how.replace(/ /g, '-')}-${basename(original)}`);
      writeFileSync(file, mutate(text));
      let findings;
      try {
        findings = lintTemplate(file);
      } catch (error) {
        t.fail(`${what}: lint threw: ${(error as Error).stack}`);
        continue;
      }
      for (const f of findings) {
        t.ok(f.line >= 1 && f.col >= 1, `${what}: ${f.severity} at ${f.line}:${f.col}: ${f.message}`);
        t.notMatch(f.message, /\n/, `${what}: one line`);
      }
      try {
        templateDeclarations(readTemplate(file));
      } catch (error) {
        userError(t, error, file, `${what}: declarations`);
      }
      const values = Object.fromEntries(
        corpusParameters(original)
          .filter((a) => a !== '-p')
          .map((a) => [a.slice(0, a.indexOf('=')), { value: a.slice(a.indexOf('=') + 1), secret: false }]),
      );
      const spec: FormationSpec = {
        name: 'mutant',
        cloudlet: { id: 'local/m', version: '1.0.0', dir },
        scenario: 'default',
        settings: {},
        patternFile: file,
        parameters: values,
        tags: {},
      };
      try {
        prepareStack(spec);
        t.notOk(
          findings.some((f) => f.severity === 'error'),
          `${what}: prepared only when lint finds no error`,
        );
      } catch (error) {
        userError(t, error, file, `${what}: prepare`);
      }
    }
  }
});

t.test('through the binary: lint and dry-run of broken templates end in one line each, exit 0 or 1, never a crash', async (t) => {
  const work = tempDir(t, 'nepho-mutations-cli-');
  const picked = corpusFiles('cloudformation').filter((f) =>
    /^(vpc-findinmap-azs\.json|quickstart-bastion-existing-vpc\.yaml|sam-ssosync\.yaml)$/.test(basename(f)),
  );
  t.equal(picked.length, 3);
  const cases = picked.flatMap((file) => Object.entries(MUTATIONS).map(([how, mutate]) => ({ file, how, mutate })));
  await inBatches(cases, 2, async ({ file, how, mutate }) => {
    const what = `${basename(file)} ${how}`;
    // One home per mutation: the three broken copies of a template share the cloudlet's name.
    const parent = join(work, how.replace(/ /g, '-'));
    const home = join(parent, 'home');
    mkdirSync(parent, { recursive: true });
    const { dir, name } = wrapAsCloudlet(parent, file, 'cloudformation');
    const pattern = join(dir, 'patterns', 'aws', 'app.cf');
    writeFileSync(pattern, mutate(readFileSync(file, 'utf8')));
    t.equal((await nepho(['cloudlet:install', '--develop', dir], { home })).code, 0, `${what}: installs`);
    const lint = await nepho(['cloudlet:lint', dir], {
      home,
      env: {
        PATH: (process.env.PATH ?? '')
          .split(':')
          .filter((p) => !/pyenv|\.local\/bin/.test(p))
          .join(':'),
      },
    });
    const dry = await nepho(['formation:create', `local/${name}`, '--dry-run', '--no-input', ...corpusParameters(file)], { home });
    for (const [step, r] of [
      ['lint', lint],
      ['dry-run', dry],
    ] as const) {
      t.ok(r.code === 0 || r.code === 1, `${what}: ${step} exits 0 or 1 (${r.code})`);
      t.notMatch(r.stdout + r.stderr, /unexpected failure|bug in nepho/, `${what}: ${step} does not crash`);
      const lines = stderrLines(r.stderr);
      t.same(lines.stackFrames, [], `${what}: ${step}: no stack trace`);
      if (r.code === 1) t.equal(lines.errors.length, 1, `${what}: ${step}: one error line: ${r.stderr}`);
    }
    for (const line of lint.stdout.split('\n').filter((l) => l.startsWith('patterns/aws/app.cf'))) {
      t.match(line, /^patterns\/aws\/app\.cf:\d+:\d+: /, `${what}: lint names line and column: ${line}`);
    }
    const error = stderrLines(dry.stderr).errors[0];
    if (error?.includes('app.cf')) t.match(error, /app\.cf:\d+:\d+: /, `${what}: dry-run names line and column: ${error}`);
  });
});

t.test(
  'every corpus Vagrantfile, truncated: ruby -c names the line, never a crash',
  { skip: spawnSync('ruby', ['-e', '0']).status === 0 ? false : 'ruby is not installed' },
  async (t) => {
    const dir = tempDir(t, 'nepho-mutations-vagrant-');
    for (const original of corpusFiles('vagrant')) {
      const cut = MUTATIONS.truncated!(readFileSync(original, 'utf8'));
      const file = join(dir, basename(original));
      writeFileSync(file, cut);
      const checked = await checkRendered([{ path: 'Vagrantfile', content: cut }], file, { ...process.env, VAGRANT_HOME: join(dir, 'vagrant-home') });
      const errors = checked.findings.filter((f) => f.severity === 'error');
      t.ok(errors.length > 0, `${basename(original)}: half a Vagrantfile does not pass`);
      for (const f of errors) t.ok(f.line >= 1 && !f.message.includes('\n'), `${basename(original)}: one line at ${f.line}:${f.col}: ${f.message}`);
    }
  },
);
