// Prompts for missing parameters, in a real terminal (tmux): description
// shown, choices as a list moved through with the arrow keys, the default
// offered, an invalid answer explained and asked again, secrets typed hidden
// and masked in the plan, Ctrl-C cancelling with nothing written.
// Prompts draw on stderr, which is the terminal here.
import t, { type Test } from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { installDevCloudlet } from '../fixtures/cloudlets.js';
import { filesContaining } from '../fixtures/files.js';
import { BIN, ROOT, tempDir } from '../fixtures/paths.js';
import { terminal, type TerminalSession } from '../fixtures/terminal.js';

const SECRET = 'Tr0ub4dor-and-3-horses';

const SCENARIO = [
  'providers:',
  '  vagrant: {pattern: single}',
  'parameters:',
  '  Size: {type: string, choices: [small, medium, large], description: how big the machine is}',
  '  Count: {type: number, min: 1, max: 5, description: how many copies}',
  '  Label: {type: string, default: wiki-one, required: true, description: label shown on the page}',
  '  Tier: {choices: [bronze, silver, gold], default: silver, required: true, description: support tier}',
  '  Password: {type: string, secret: true, pattern: "^.{10,}$", description: admin password}',
  '  Verbose: {type: boolean, description: talk more}',
  '  Owner: {type: string, description: who looks after it}',
  '  Settled: {type: string, default: fixed, description: never asked}',
  '',
].join('\n');

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Run `nepho ARGS` in a fresh terminal with its own NEPHO_HOME; the pane stays open after it exits. */
function nephoInTerminal(t: Test, home: string, args: string[]): TerminalSession {
  const command = [
    `cd ${quote(ROOT)} &&`,
    `NEPHO_HOME=${quote(home)} HOME=${quote(home)} NO_COLOR=1`,
    quote(process.execPath),
    quote(BIN),
    ...args.map(quote),
    '; echo EXIT=$?; sleep 30',
  ].join(' ');
  return terminal(t, command);
}

async function fixtureHome(t: Test): Promise<{ home: string; id: string }> {
  const home = join(tempDir(t), 'home');
  const c = await installDevCloudlet(t, home, 'asker', {
    'patterns/vagrant/single.rb': 'Vagrant.configure("2") do |config|\n  config.vm.box = "generic/debian12"\nend\n',
    'scenarios/default.yaml': SCENARIO,
  });
  return { home, id: c.id };
}

t.test('answering every kind of prompt, mistakes included', async (t) => {
  const { home, id } = await fixtureHome(t);
  const term = nephoInTerminal(t, home, ['formation:create', id, '--dry-run']);

  // A list of choices, with the description; the arrow keys move through it.
  let screen = await term.waitForScreen(/\? Size \(how big the machine is\)[\s\S]*❯ small\n +medium\n +large/);
  t.pass('choices are shown as a list with the description');
  term.send(['Down']);
  await term.waitForScreen(/ +small\n❯ medium\n +large/);
  term.send(['Enter']);
  await term.waitForScreen(/✔ Size \(how big the machine is\) medium/);

  // A number with min and max, shown: nothing, a word, then too big, then right.
  await term.waitForScreen(/\? Count \(how many copies\) \[1 to 5\]/);
  term.send(['Enter']);
  await term.waitForScreen(/> Count is required: type a value/);
  term.send(['abc'], true);
  term.send(['Enter']);
  screen = await term.waitForScreen(/> Count must be a number \(1 to 5\)/);
  t.notMatch(screen, /✔ Count/, 'not accepted: asked again');
  t.match(screen, /\? Count \(how many copies\) \[1 to 5\] abc\n/, 'a visible answer that is refused stays on the line, to be edited');
  term.send(['BSpace', 'BSpace', 'BSpace']);
  term.send(['9'], true);
  term.send(['Enter']);
  await term.waitForScreen(/> Count must be at most 5/);
  term.send(['BSpace']);
  term.send(['3'], true);
  term.send(['Enter']);
  await term.waitForScreen(/✔ Count \(how many copies\) \[1 to 5\] 3/);

  // The default is offered; Enter takes it.
  await term.waitForScreen(/\? Label \(label shown on the page\) \(wiki-one\)/);
  term.send(['Enter']);
  await term.waitForScreen(/✔ Label \(label shown on the page\) wiki-one/);
  // In a list, the default is where the cursor starts.
  await term.waitForScreen(/\? Tier \(support tier\)[\s\S]*\n +bronze\n❯ silver\n +gold/);
  term.send(['Enter']);
  await term.waitForScreen(/✔ Tier \(support tier\) silver/);

  // A secret: typed hidden, one mask character per character; a refused one
  // is cleared, since the person cannot see what would be left of it.
  await term.waitForScreen(/\? Password \(admin password\)/);
  term.send(['Enter']);
  await term.waitForScreen(/> Password is required: type a value/);
  term.send(['short'], true);
  await term.waitForScreen(/\? Password \(admin password\) \*{5}\n/);
  term.send(['Enter']);
  screen = await term.waitForScreen(/> Password must match the pattern \^\.\{10,\}\$/);
  t.match(screen, /\? Password \(admin password\) ?\n/, 'the refused answer is gone from the line');
  t.notMatch(screen, /short/, 'never shown as typed');
  // Kept, `short` + `1234567` would be 12 characters and pass; alone, 7 do not.
  term.send(['1234567'], true);
  await term.waitForScreen(/\? Password \(admin password\) \*{7}\n/);
  term.send(['Enter']);
  screen = await term.waitForScreen(/\? Password \(admin password\) ?\n> Password must match/);
  t.notMatch(screen, /✔ Password/, 'the second answer is judged alone, and refused: the first was not kept');
  term.send([SECRET], true);
  screen = await term.waitForScreen(new RegExp(`\\? Password \\(admin password\\) \\*{${SECRET.length}}\\n`));
  t.notMatch(screen, SECRET, 'the secret is not on the screen while typed');
  term.send(['Enter']);

  // A required boolean is a yes/no question with no answer preselected: Enter alone is refused.
  screen = await term.waitForScreen(/\? Verbose \(talk more\) \(y\/n\)/);
  t.notMatch(screen, /\(Y\/n\)|\(y\/N\)/, 'no default offered');
  term.send(['Enter']);
  await term.waitForScreen(/> Verbose is required: answer y or n/);
  term.send(['maybe'], true);
  term.send(['Enter']);
  await term.waitForScreen(/> Verbose: answer y or n/);
  term.send(Array(5).fill('BSpace'));
  term.send(['n'], true);
  term.send(['Enter']);

  // A required string: nothing, or only spaces, is refused and asked again.
  await term.waitForScreen(/\? Owner \(who looks after it\)/);
  term.send(['Enter']);
  await term.waitForScreen(/> Owner is required: type a value/);
  term.send(['   '], true);
  term.send(['Enter']);
  screen = await term.waitForScreen(/> Owner is required: type a value/);
  t.notMatch(screen, /✔ Owner/, 'spaces are no answer');
  term.send(['BSpace', 'BSpace', 'BSpace']);
  term.send(['ann'], true);
  term.send(['Enter']);

  screen = await term.waitForScreen(/EXIT=\d+/);
  t.match(screen, /EXIT=0/, 'the dry run succeeds');
  t.notMatch(screen, /never asked/, 'a parameter with a default is not asked for');
  // The plan, printed on the terminal: the answers with their source.
  const row = (name: string) => screen.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
  t.match(row('Size'), /^Size +medium +prompt$/, 'the chosen item reaches the plan');
  t.match(row('Count'), /^Count +3 +prompt$/);
  t.match(row('Label'), /^Label +wiki-one +prompt$/);
  t.match(row('Tier'), /^Tier +silver +prompt$/);
  t.match(row('Password'), /^Password +\*{8} +prompt$/, 'the secret is masked in the plan');
  t.match(row('Verbose'), /^Verbose +false +prompt$/);
  t.match(row('Owner'), /^Owner +ann +prompt$/);
  t.match(row('Settled'), /^Settled +fixed +scenario default$/);
  t.notMatch(screen, SECRET, 'the secret never appeared on the terminal');
  t.same(filesContaining(home, SECRET), [], 'nor in any file under NEPHO_HOME');
  t.same(readdirSync(join(home, 'formations')), []);
});

t.test('Ctrl-C at a prompt: exit 130, a message, nothing written', async (t) => {
  const { home, id } = await fixtureHome(t);
  const term = nephoInTerminal(t, home, ['formation:create', id, '--dry-run']);
  await term.waitForScreen(/\? Size \(how big the machine is\)/);
  term.send(['Down']);
  term.send(['Enter']);
  await term.waitForScreen(/\? Count/);
  term.send(['C-c']);
  const screen = await term.waitForScreen(/EXIT=\d+/);
  t.match(screen, /EXIT=130/, 'the status shells give an interrupt');
  t.match(screen, /^error: interrupted at the prompt; nothing was written$/m, 'says so in one line');
  t.notMatch(screen, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
  t.notMatch(screen, /PARAMETER +VALUE/, 'no plan');
  t.same(readdirSync(join(home, 'formations')), [], 'no formation recorded');
  t.notOk(existsSync(join(home, 'config.yaml')), 'no config written');
});

t.test('--no-input on a terminal asks nothing and names every missing parameter', async (t) => {
  const { home, id } = await fixtureHome(t);
  const term = nephoInTerminal(t, home, ['formation:create', id, '--dry-run', '--no-input']);
  const screen = await term.waitForScreen(/EXIT=\d+/);
  t.match(screen, /EXIT=1/);
  t.match(
    screen,
    /error: missing parameters Size \(how big the machine is\), Count \(how many copies\), Label \(label shown on the page\), Tier \(support tier\), Password \(admin password\), Verbose \(talk more\), Owner \(who looks after it\); --no-input forbids prompting/,
  );
  t.notMatch(screen, /\? Size/, 'no prompt shown');
});

t.test('with -o json, prompts stay on the terminal and stdout stays the plan', async (t) => {
  const { home, id } = await fixtureHome(t);
  const out = join(tempDir(t), 'plan.json');
  const term = terminal(
    t,
    [
      `cd ${quote(ROOT)} &&`,
      `NEPHO_HOME=${quote(home)} HOME=${quote(home)} NO_COLOR=1`,
      quote(process.execPath),
      quote(BIN),
      'formation:create',
      id,
      '--dry-run',
      '-o',
      'json',
      '-p',
      'Size=large',
      '-p',
      'Count=2',
      '-p',
      'Label=x',
      '-p',
      'Tier=gold',
      '-p',
      'Verbose=yes',
      '-p',
      'Owner=ann',
      `> ${quote(out)}; echo EXIT=$?; sleep 30`,
    ].join(' '),
  );
  await term.waitForScreen(/\? Password \(admin password\)/);
  t.notMatch(term.screen(), /\? (Size|Count|Label|Tier|Verbose|Owner)/, 'only the parameter still missing is asked for');
  term.send([SECRET], true);
  term.send(['Enter']);
  const screen = await term.waitForScreen(/EXIT=\d+/);
  t.match(screen, /EXIT=0/);
  const plan = JSON.parse(readFileSync(out, 'utf8'));
  t.same(
    plan.parameters.map((p: any) => [p.name, p.value, p.source]),
    [
      ['Size', 'large', '-p Size'],
      ['Count', 2, '-p Count'],
      ['Label', 'x', '-p Label'],
      ['Tier', 'gold', '-p Tier'],
      ['Password', '********', 'prompt'],
      ['Verbose', true, '-p Verbose'],
      ['Owner', 'ann', '-p Owner'],
      ['Settled', 'fixed', 'scenario default'],
    ],
  );
  t.notMatch(readFileSync(out, 'utf8') + screen, SECRET);
});
