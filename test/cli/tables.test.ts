// Tables fit the terminal: COLUMNS (or the terminal's own width) cuts the
// widest columns with `…`, short columns stay whole, `-o wide` and a pipe
// without COLUMNS show every value whole; and on a real terminal the width
// is the terminal's.
import t from 'tap';
import { join } from 'node:path';
import { nepho } from '../fixtures/cli.js';
import { BIN, ROOT, tempDir } from '../fixtures/paths.js';
import { terminal } from '../fixtures/terminal.js';
import { fitColumns } from '../../src/output.js';

const LONG = 'a-long-value-that-goes-on-'.repeat(6) + 'END';

async function homeWithLongValue(t: Parameters<typeof tempDir>[0]): Promise<string> {
  const home = join(tempDir(t), 'home');
  const set = await nepho(['parameter:set', 'KeyName', LONG], { home });
  if (set.code !== 0) throw new Error(set.stderr);
  return home;
}

t.test('COLUMNS cuts the long column with …; the short ones stay whole', async (t) => {
  const home = await homeWithLongValue(t);
  const r = await nepho(['parameter:list'], { home, env: { COLUMNS: '50' } });
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  t.equal(lines.length, 2, 'one line per row: nothing wrapped');
  for (const line of lines) t.ok(line.length <= 50, `fits 50 columns: ${JSON.stringify(line)}`);
  t.match(lines[1], /^KeyName +a-long-value-that-goes-on-.*… +global$/, 'the value is cut with …, the key and scope are whole');
});

t.test('-o wide shows everything, as does a pipe without COLUMNS', async (t) => {
  const home = await homeWithLongValue(t);
  const wide = await nepho(['parameter:list', '-o', 'wide'], { home, env: { COLUMNS: '50' } });
  t.equal(wide.code, 0, wide.stderr);
  t.match(wide.stdout, new RegExp(`KeyName +${LONG} +global`), '-o wide: the whole value despite COLUMNS');
  const piped = await nepho(['parameter:list'], { home });
  t.match(piped.stdout, new RegExp(`KeyName +${LONG} +global`), 'a pipe with no COLUMNS: whole values');
  const bad = await nepho(['parameter:list', '-o', 'wid'], { home });
  t.equal(bad.code, 1);
  t.match(bad.stderr, /--output 'wid' is not one of table, wide, json, yaml/);
});

t.test('on a real terminal, the table fits its width', async (t) => {
  const home = await homeWithLongValue(t);
  const term = terminal(
    t,
    `cd '${ROOT}' && env -i PATH='${process.env.PATH}' HOME='${home}' NEPHO_HOME='${home}' TERM=xterm NO_COLOR=1 '${process.execPath}' '${BIN}' parameter:list; echo EXIT=$?; sleep 30`,
  );
  const screen = await term.waitForScreen(/EXIT=\d+/);
  t.match(screen, /EXIT=0/);
  // The fixture's terminal is 200 columns wide: the 161-character value fits and is shown whole.
  t.match(screen, new RegExp(`KeyName +${LONG} +global`));
  const narrow = terminal(
    t,
    `stty cols 60; cd '${ROOT}' && env -i PATH='${process.env.PATH}' HOME='${home}' NEPHO_HOME='${home}' TERM=xterm NO_COLOR=1 '${process.execPath}' '${BIN}' parameter:list; echo EXIT=$?; sleep 30`,
  );
  const cut = await narrow.waitForScreen(/EXIT=\d+/);
  const row = cut.split('\n').find((l) => l.startsWith('KeyName'));
  t.ok(row && row.trimEnd().length <= 60 && row.includes('…'), `cut to a 60-column terminal: ${row}`);
});

t.test('fitColumns narrows the widest column first and never below its floor', async (t) => {
  t.equal(
    fitColumns(
      [
        [3, 10],
        [4, 20],
      ],
      80,
      2,
    ),
    undefined,
    'fits: nothing to do',
  );
  t.same(fitColumns([[4, 30, 6]], 30, 2), [4, 16, 6], 'only the wide column gives way');
  t.same(fitColumns([[20, 20]], 10, 2), [6, 6], 'narrower than any sensible table: each column at its floor');
});
