// Start-up: `nepho --version`, `nepho cloudlet:list` (one cloudlet installed)
// and `nepho --help`, each against `node -e 0`, run side by side.
// Target: --version and cloudlet:list within 1.3× of `node -e 0`.
import { BIN, NODE, heading, interleave, median, ms, nepho, nephoEnv, percentile, progress, ratio, table, tempDir, verdict } from './lib.js';

export const TARGET = 1.3;

export async function startup({ rounds = Number(process.env.BENCH_ROUNDS ?? 30) } = {}) {
  heading('start-up');
  const home = tempDir('nepho-bench-home-');
  const env = nephoEnv(home);
  progress('installing huit/mediawiki from the built-in registry ...');
  await nepho(['cloudlet:install', 'huit/mediawiki'], { env });
  const listed = await nepho(['cloudlet:list'], { env });
  if (!listed.stdout.includes('huit-mediawiki')) throw new Error(`cloudlet:list does not show the installed cloudlet:\n${listed.stdout}`);

  const variants = [
    { name: 'node -e 0', cmd: NODE, args: ['-e', '0'], env },
    { name: 'nepho --version', cmd: NODE, args: [BIN, '--version'], env, target: TARGET },
    { name: 'nepho cloudlet:list', cmd: NODE, args: [BIN, 'cloudlet:list'], env, target: TARGET },
    { name: 'nepho --help', cmd: NODE, args: [BIN, '--help'], env },
  ];
  progress(`${rounds} interleaved rounds of ${variants.length} commands ...`);
  const times = await interleave(variants, { rounds });

  const base = median(times['node -e 0']);
  const baseMin = Math.min(...times['node -e 0']);
  const results = [];
  const rows = variants.map((v) => {
    const t = times[v.name];
    const r = median(t) / base;
    const row = [v.name, ms(median(t)), ms(Math.min(...t)), ms(percentile(t, 90)), ratio(r), ratio(Math.min(...t) / baseMin)];
    if (v.target) {
      const pass = r <= v.target;
      results.push({ bench: 'start-up', what: v.name, figure: `${ratio(r)} of node -e 0`, target: `≤ ${ratio(v.target)}`, pass });
      row.push(`≤ ${ratio(v.target)}`, verdict(pass));
    } else {
      row.push('', v.name === 'node -e 0' ? 'baseline' : 'info');
    }
    return row;
  });
  table(['command', 'median', 'min', 'p90', 'ratio', 'ratio(min)', 'target', ''], rows);
  console.log(`(${rounds} rounds, interleaved; ratio = median / median of node -e 0; ratio(min) = fastest / fastest)`);
  return results;
}
