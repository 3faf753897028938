// Shell completion: each Tab runs `nepho __complete SHELL WORDS...`, which
// must answer from local state within 100 ms. Measured for a command name,
// installed cloudlet/scenario pairs, formation names and registry names, with
// `node -e 0` in the same rounds as the baseline.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, NODE, heading, interleave, median, ms, nepho, nephoEnv, percentile, progress, ratio, table, tempDir, verdict } from './lib.js';

/** Target: every completion answered in under this many milliseconds. */
export const TARGET_MS = 100;

export async function completion({ rounds = Number(process.env.BENCH_ROUNDS ?? 30) } = {}) {
  heading('completion');
  const home = tempDir('nepho-bench-home-');
  const env = nephoEnv(home);
  progress('installing huit/mediawiki from the built-in registry ...');
  await nepho(['cloudlet:install', 'huit/mediawiki'], { env });
  for (let i = 0; i < 50; i++) mkdirSync(join(home, 'formations', `formation-${i}`), { recursive: true });
  writeFileSync(join(home, 'config.yaml'), 'registries:\n  - name: community\n    url: https://example.org/index.json\n');

  const variants = [
    { name: 'node -e 0', cmd: NODE, args: ['-e', '0'], env },
    { name: 'commands (nepho cloudlet:<Tab>)', cmd: NODE, args: [BIN, '__complete', 'bash', 'cloudlet:'], env, target: true },
    { name: 'pairs (formation:create media<Tab>)', cmd: NODE, args: [BIN, '__complete', 'bash', 'formation:create', 'media'], env, target: true },
    { name: 'formations (50, formation:describe <Tab>)', cmd: NODE, args: [BIN, '__complete', 'bash', 'formation:describe', ''], env, target: true },
    { name: 'registries (registry:remove <Tab>)', cmd: NODE, args: [BIN, '__complete', 'bash', 'registry:remove', ''], env, target: true },
  ];
  progress(`${rounds} interleaved rounds of ${variants.length} commands ...`);
  const times = await interleave(variants, { rounds });
  const base = median(times['node -e 0']);
  const results = [];
  const rows = variants.map((v) => {
    const t = times[v.name];
    const row = [v.name, ms(median(t)), ms(percentile(t, 90)), ratio(median(t) / base)];
    if (v.target) {
      const pass = percentile(t, 90) < TARGET_MS;
      results.push({ bench: 'completion', what: v.name, figure: `p90 ${ms(percentile(t, 90))}`, target: `< ${TARGET_MS} ms`, pass });
      row.push(`< ${TARGET_MS} ms`, verdict(pass));
    } else {
      row.push('', 'baseline');
    }
    return row;
  });
  table(['completion', 'median', 'p90', 'ratio', 'target', ''], rows);
  console.log(`(${rounds} rounds, interleaved; the target is on the p90, as each Tab is felt one at a time)`);
  return results;
}
