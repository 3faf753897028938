import t from 'tap';
import { nepho } from './fixtures/cli.js';
import { tempDir } from './fixtures/paths.js';

t.test('--help lists commands by category, in colon form', async (t) => {
  const home = tempDir(t);
  const r = await nepho(['--help'], { home });
  t.equal(r.code, 0);
  t.match(r.stdout, /Cloudlet commands[\s\S]*nepho cloudlet:install/);
  t.match(r.stdout, /Registry commands[\s\S]*nepho registry:add/);
  t.notMatch(r.stdout, /\x1b\[/, 'no colour when stdout is not a terminal');
  for (const args of [[], ['-h']]) {
    const same = await nepho(args, { home });
    t.equal(same.code, 0);
    t.equal(same.stdout, r.stdout, `nepho ${args.join(' ')} prints the same help`);
  }
  const command = await nepho(['cloudlet:list', '--help'], { home });
  t.equal(command.code, 0);
  t.match(command.stdout, /List installed cloudlets[\s\S]*\$ nepho cloudlet:list/, "a command's --help is its own");
});

t.test('--help orders categories and commands as ICU collation would', async (t) => {
  // The build sorts help by code units instead of localeCompare (scripts/bundle.js): the same order for nepho's names.
  const home = tempDir(t);
  const r = await nepho(['--help'], { home });
  const collator = new Intl.Collator('en', { usage: 'sort', caseFirst: 'upper' });
  const sections = r.stdout
    .split(/\n(?=\S)/)
    .slice(1)
    .map((section) => ({
      category: section.split('\n')[0]!,
      commands: section
        .split('\n')
        .filter((line) => line.startsWith('  nepho '))
        .map((line) => line.trim()),
    }))
    .filter((s) => s.commands.length > 0);
  t.ok(sections.length >= 5, 'several categories');
  const categories = sections.map((s) => s.category);
  t.same(categories, [...categories].sort(collator.compare), 'categories');
  for (const { category, commands } of sections) {
    t.same(commands, [...commands].sort(collator.compare), `commands of ${category}`);
  }
});

t.test('--version prints the package version', async (t) => {
  const home = tempDir(t);
  const r = await nepho(['--version'], { home });
  t.equal(r.code, 0);
  t.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});

t.test('the space form works like the colon form', async (t) => {
  const home = tempDir(t);
  const colon = await nepho(['cloudlet:list', '-o', 'json'], { home });
  const space = await nepho(['cloudlet', 'list', '-o', 'json'], { home });
  t.equal(colon.code, 0);
  t.equal(space.stdout, colon.stdout);
  t.same(JSON.parse(space.stdout), []);
});

t.test('an unknown command exits 2 with the error on stderr, not stdout', async (t) => {
  const home = tempDir(t);
  const r = await nepho(['cloudlet:frobnicate'], { home });
  t.equal(r.code, 2);
  t.equal(r.stdout, '');
  t.match(r.stderr, /^error: unknown command 'cloudlet:frobnicate'/);
});

t.test('a bad -o value names the option', async (t) => {
  const home = tempDir(t);
  const r = await nepho(['cloudlet:list', '-o', 'xml'], { home });
  t.equal(r.code, 1);
  t.match(r.stderr, /--output/);
});

t.test('a user error is one line and a hint, without a stack', async (t) => {
  const home = tempDir(t);
  const r = await nepho(['cloudlet:uninstall', '../x', '--yes'], { home });
  t.equal(r.code, 1);
  t.match(r.stderr, /^error: .*'\.\.\/x'.*\nhint: .*\n$/);
  t.notMatch(r.stderr, /at .*\.js:\d+/);
});

t.test('NEPHO_HOME is created on first use', async (t) => {
  const home = `${tempDir(t)}/fresh/home`;
  const r = await nepho(['cloudlet:list'], { home });
  t.equal(r.code, 0);
  const { existsSync } = await import('node:fs');
  for (const sub of ['cloudlets', 'cache', 'formations']) t.ok(existsSync(`${home}/${sub}`), sub);
});

t.test('formation:list on a machine never set up for AWS lists quietly; asking for a region warns', async (t) => {
  const home = tempDir(t);
  const env = { AWS_CONFIG_FILE: `${home}/none`, AWS_SHARED_CREDENTIALS_FILE: `${home}/none`, AWS_EC2_METADATA_DISABLED: 'true' };
  const quiet = await nepho(['formation:list'], { home, env });
  t.equal(quiet.code, 0);
  t.equal(quiet.stderr, 'no formations\n', 'no warning about a provider nobody set up');
  const asked = await nepho(['formation:list', '--region', 'us-east-1'], { home, env });
  t.equal(asked.code, 0);
  t.match(asked.stderr, /warning: cloudformation: not checked: .*credentials/);
});
