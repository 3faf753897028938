// Finding one's way: did-you-mean for unknown commands and options (exit 2),
// `nepho help [COMMAND]`, `nepho version`, and every command's help read as a
// person reads it: value names instead of `#0`, a description and an example,
// Details wrapped between words and never inside `code`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { nepho } from './fixtures/cli.js';
import { ROOT, tempDir } from './fixtures/paths.js';

/** Every command name `nepho help` lists (colon forms, shortcuts, general commands). */
async function commandNames(home: string): Promise<string[]> {
  const r = await nepho(['help'], { home });
  return [...r.stdout.matchAll(/^ {2}nepho (\S+)/gm)].map((m) => m[1]!);
}

t.test('an unknown command: one line naming it and the closest commands, exit 2', async (t) => {
  const home = tempDir(t);
  for (const [args, typed, closest] of [
    [['formaton:list'], 'formaton:list', 'formation:list'],
    [['cloudlet:instal', 'x'], 'cloudlet:instal', 'cloudlet:install'],
    [['cloudlet', 'instal'], 'cloudlet instal', 'cloudlet:install'],
    [['verison'], 'verison', 'version'],
  ] as const) {
    const r = await nepho([...args], { home });
    t.equal(r.code, 2, `nepho ${args.join(' ')} exits 2`);
    t.equal(r.stdout, '');
    const [first, ...rest] = r.stderr.trimEnd().split('\n');
    t.match(first, new RegExp(`^error: unknown command '${typed}'; did you mean '${closest}'`), `names ${typed} and suggests ${closest} first`);
    t.same(rest, ['hint: nepho help lists every command'], 'one line and a hint, not the list of every command');
  }
  const wild = await nepho(['zzzzzzzzzz'], { home });
  t.equal(wild.code, 2);
  t.match(wild.stderr, /^error: unknown command 'zzzzzzzzzz'\n/, 'nothing close: no suggestion');
});

t.test('an unknown option: one line naming it and the closest options of that command, exit 2', async (t) => {
  const home = tempDir(t);
  const r = await nepho(['cloudlet:list', '--outptu', 'json'], { home });
  t.equal(r.code, 2);
  t.equal(r.stderr, "error: nepho cloudlet:list: unknown option '--outptu'; did you mean '--output'?\nhint: nepho cloudlet:list --help lists its options\n");
  const bound = await nepho(['formation:create', 'x', '--nmae=web'], { home });
  t.equal(bound.code, 2);
  t.match(bound.stderr, /unknown option '--nmae'; did you mean '--name'/, '--flag=value names the flag alone');
  const missing = await nepho(['cloudlet:install'], { home });
  t.equal(missing.code, 2, 'too few arguments is a usage error too');
  t.match(
    missing.stderr,
    /^error: nepho cloudlet:install: not enough positional arguments\nhint: usage: nepho cloudlet:install .*<name\[@range\]\|git-url\[#ref\]\|path>\n$/,
  );
});

t.test('nepho help, help COMMAND and version', async (t) => {
  const home = tempDir(t);
  const general = await nepho(['help'], { home });
  t.equal(general.code, 0);
  t.equal(general.stdout, (await nepho(['--help'], { home })).stdout, 'help is --help');
  t.match(general.stdout, /nepho completion <shell>/, 'general commands are listed');
  const one = await nepho(['help', 'cloudlet:install'], { home });
  t.equal(one.code, 0);
  t.equal(one.stdout, (await nepho(['cloudlet:install', '--help'], { home })).stdout, 'help COMMAND is COMMAND --help');
  t.equal((await nepho(['help', 'cloudlet', 'install'], { home })).stdout, one.stdout, 'the space form too');
  const unknown = await nepho(['help', 'cloudlet:instal'], { home });
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /^error: unknown command 'cloudlet:instal'; did you mean 'cloudlet:install'/);

  const version = await nepho(['version'], { home });
  t.equal(version.code, 0);
  t.match(version.stdout, /^nepho: +\d+\.\d+\.\d+\nNode: +v\d+/);
  t.equal((await nepho(['--version'], { home })).stdout, `${version.stdout.match(/\d+\.\d+\.\d+/)![0]}\n`, '--version prints the number alone');
});

t.test("every command's help: description, value names, details without broken lines, an example", async (t) => {
  const home = tempDir(t);
  const names = await commandNames(home);
  t.ok(names.length >= 40, `every command is listed (${names.length})`);
  const general = (await nepho(['help'], { home })).stdout;
  t.notMatch(general, /#\d/, 'no #0 in the general help');
  const problems: string[] = [];
  for (const name of names) {
    const r = await nepho([name, '--help'], { home, env: { COLUMNS: '80' } });
    const text = r.stdout;
    const problem = (what: string) => problems.push(`${name}: ${what}`);
    if (r.code !== 0) problem(`--help exits ${r.code}`);
    if (/#\d/.test(text)) problem('#0 in help');
    if (!/^[A-Z]\S* \S+/.test(text)) problem('does not start with a description');
    if (!/\nExamples\n\n.+\n {2}\$ (nepho|eval) /.test(text)) problem('no example');
    for (const line of text.split('\n')) if (/\s$/.test(line)) problem(`trailing blanks: ${JSON.stringify(line)}`);
    const options = text.match(/\nOptions\n\n([\s\S]*?)\n\n/)?.[1] ?? '';
    for (const line of options.split('\n').filter((l) => /^ {2}-/.test(l))) {
      // A flag stands alone; an option taking a value shows its name in capitals.
      if (!/^ {2}(-\w, )?--?[\w-]+( [A-Z][A-Z_/=]*)?( {2,}|$)/.test(line)) problem(`option line: ${line.trim()}`);
    }
    const details = text.match(/\nDetails\n\n([\s\S]*?)\n\nExamples/)?.[1] ?? '';
    for (const line of details.split('\n')) if (line.length > 80 && line.includes(' ')) problem(`Details not wrapped to COLUMNS: ${JSON.stringify(line)}`);
    if (details.includes('`')) problem('backticks shown in Details');
  }
  t.same(problems, [], 'every command reads well');
});

t.test('options show their value names: -o, --output FORMAT', async (t) => {
  const home = tempDir(t);
  const r = await nepho(['formation:create', '--help'], { home });
  t.match(r.stdout, /\n {2}-o, --output FORMAT {2,}Output format/);
  t.match(r.stdout, /\n {2}--name NAME {2,}Formation name/);
  t.match(r.stdout, /\n {2}-p, --param KEY=VALUE {2,}/);
  t.match(r.stdout, /\$ nepho formation:create \[-o,--output FORMAT\] .*\[--name NAME\]/);
  const ssh = await nepho(['formation:ssh', '--help'], { home, env: { COLUMNS: '80' } });
  t.match(ssh.stdout, /\nsh -c '\.\.\.' for pipes/, 'a code span is never split across lines');
});

t.test('docs/cli.md lists every command with an example', async (t) => {
  const home = tempDir(t);
  const doc = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
  const missing = (await commandNames(home)).filter((name) => !new RegExp(`\\n### ${name}\\n[\\s\\S]*?\\n {4}nepho ${name}[ \\n]`).test(doc));
  t.same(missing, [], 'each command has a section in docs/cli.md with a usage line');
  const check = spawnSync(process.execPath, [join(ROOT, 'scripts', 'cli-docs.js'), '--check'], { encoding: 'utf8' });
  t.equal(check.status, 0, `docs/cli.md is what scripts/cli-docs.js writes: ${check.stderr}`);
});
