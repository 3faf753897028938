import { build } from 'esbuild';
import { readFileSync, writeFileSync, mkdirSync, cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
const ROOT = '/work/main';
const OUT = '/tmp/proto1';
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT + '/dist', { recursive: true });
const trims = {
  name: 'trims', setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]version\.ts$/ }, () => ({ contents: `export const VERSION = "0.1.0";`, loader: 'ts' }));
    b.onResolve({ filter: /^clipanion$/ }, () => ({ path: join(ROOT, 'node_modules/clipanion/lib/advanced/index.mjs') }));
    b.onResolve({ filter: /^\.\.\/platform$/ }, (args) => args.resolveDir.includes(join('clipanion', 'lib')) ? { path: 'clipanion-platform', namespace: 'nepho' } : undefined);
    b.onLoad({ filter: /^clipanion-platform$/, namespace: 'nepho' }, () => ({ contents: 'export function getDefaultColorDepth() { return 1; }\nexport function getCaptureActivator() { return null; }\n', loader: 'js' }));
    b.onLoad({ filter: /[\\/]clipanion[\\/]lib[\\/]advanced[\\/]Cli\.mjs$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const eager = /Cli\.defaultContext = \{\s*env: process\.env,\s*stdin: process\.stdin,\s*stdout: process\.stdout,\s*stderr: process\.stderr,\s*colorDepth: getDefaultColorDepth\(\),\s*\};/;
      return { contents: source.replace(eager, `Cli.defaultContext = Object.defineProperties({ env: process.env, colorDepth: getDefaultColorDepth() }, { stdin: { get: () => process.stdin }, stdout: { get: () => process.stdout }, stderr: { get: () => process.stderr } });`).replace(/(\w+(?:\.usage)?)\.localeCompare\((\w+(?:\.usage)?), `en`, \{ usage: `sort`, caseFirst: `upper` \}\)/g, '($1 < $2 ? -1 : $1 > $2 ? 1 : 0)'), loader: 'js' };
    });
    b.onResolve({ filter: /^#supports-color$/ }, () => ({ path: 'supports-color', namespace: 'nepho' }));
    b.onLoad({ filter: /^supports-color$/, namespace: 'nepho' }, () => ({ contents: 'export default { stdout: false, stderr: false };\n', loader: 'js' }));
  },
};
const r = await build({ absWorkingDir: ROOT, entryPoints: ['src/cli.ts'], outfile: OUT + '/dist/cli.cjs', write: false, bundle: true, format: 'cjs', platform: 'node', target: 'node20',
  define: { 'import.meta.url': '__nephoModuleUrl' }, banner: { js: "const __nephoModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [trims], external: ['typanion', '@aws-sdk/*', '@smithy/*'], legalComments: 'none', logLevel: 'warning', metafile: true });
let text = r.outputFiles[0].text;
const n = (text.match(/\bimport\(/g) || []).length;
text = text.replace(/\bimport\(/g, '__nephoImport(');
console.log('import( rewritten:', n, 'size', text.length);
writeFileSync(OUT + '/dist/cli.cjs', text);
cpSync(ROOT + '/dist/boot.cjs', OUT + '/dist/boot.cjs');
cpSync(ROOT + '/dist/builtin', OUT + '/dist/builtin', { recursive: true });
cpSync(ROOT + '/bin', OUT + '/bin', { recursive: true });
cpSync(ROOT + '/package.json', OUT + '/package.json');
cpSync(ROOT + '/templates', OUT + '/templates', { recursive: true });
