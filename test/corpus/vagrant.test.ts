// The Vagrantfiles of the corpus (test/corpus/README.md), wrapped as
// cloudlets: each lints without errors (warnings for what nepho's formation
// directory or this machine lacks), describes, and dry-runs through the real
// ruby -c and vagrant validate -p; what nepho renders is the file as
// published plus nepho's provisioner block, nothing else.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import t from 'tap';
import { corpusFiles, inBatches, wrapAsCloudlet } from '../fixtures/corpus.js';
import { nepho, stderrLines } from '../fixtures/cli.js';
import { tempDir } from '../fixtures/paths.js';

t.setTimeout(600_000);

const VAGRANTFILES = corpusFiles('vagrant');
const TOOLS = spawnSync('ruby', ['-e', '0']).status === 0 && spawnSync('vagrant', ['--version']).status === 0;

t.test('the corpus has five Vagrantfiles or more', async (t) => {
  t.ok(VAGRANTFILES.length >= 5, `${VAGRANTFILES.length} Vagrantfiles`);
});

t.test(
  'every Vagrantfile: lint without errors, describe, dry-run with ruby -c and vagrant validate -p',
  { skip: TOOLS ? false : 'ruby and vagrant are needed' },
  async (t) => {
    const work = tempDir(t, 'nepho-corpus-vagrant-');
    const home = join(work, 'home');
    // A VAGRANT_HOME of its own: no plugin of this machine is seen, and nothing is left in the user's.
    const env = { VAGRANT_HOME: join(work, 'vagrant-home') };
    await inBatches(VAGRANTFILES, 2, async (file) => {
      const name = basename(file);
      const { dir, name: cloudlet } = wrapAsCloudlet(work, file, 'vagrant');
      const installed = await nepho(['cloudlet:install', '--develop', dir], { home, env });
      t.equal(installed.code, 0, `${name}: installs: ${installed.stderr}`);

      const lint = await nepho(['cloudlet:lint', dir], { home, env });
      t.equal(lint.code, 0, `${name}: lints without errors:\n${lint.stdout}${lint.stderr}`);
      t.match(lint.stdout, /^patterns\/vagrant\/app\.rb: checked with ruby -c; vagrant validate -p$/m, `${name}: lint says which checks ran`);

      const described = await nepho(['scenario:describe', `local/${cloudlet}/default`, '-o', 'json'], { home, env });
      t.equal(described.code, 0, `${name}: describes: ${described.stderr}`);

      const out = join(work, 'out', cloudlet);
      const dry = await nepho(['formation:create', `local/${cloudlet}`, '--dry-run', '--out', out, '-o', 'json', '--no-input'], { home, env });
      t.equal(dry.code, 0, `${name}: dry-runs: ${dry.stderr}`);
      t.same(stderrLines(dry.stderr).errors, [], `${name}: no error line`);
      for (const r of [installed, lint, described, dry]) t.notMatch(r.stdout + r.stderr, /unexpected failure|bug in nepho/, `${name}: no crash`);
      if (dry.code !== 0) return;
      t.same(JSON.parse(dry.stdout).checks, ['placeholders', 'ruby -c', 'vagrant validate -p'], `${name}: the dry run names the checks that ran`);
      const original = readFileSync(file, 'utf8');
      const rendered = readFileSync(join(out, 'Vagrantfile'), 'utf8');
      t.equal(rendered.slice(0, original.length), original, `${name}: rendered as published`);
      t.match(rendered.slice(original.length), /^\n?\n# Added by nepho: the scenario's bootstrap/, `${name}: then nepho's provisioner block`);
    });
  },
);
