// nepho declares `"engines": {"node": ">=20.17"}`: every package a user's
// install brings (dependencies of dependencies included) must run on the
// oldest Node that promises, and the development tools on the Node running
// the tests. A package whose newest release needs a later Node is pinned in
// package.json (`overrides`) to one that does not.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import t from 'tap';
import { ROOT } from './fixtures/paths.js';

/** Every package.json under `dir`, nested node_modules and scopes included. */
function packages(dir: string): { name: string; version: string; node?: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (!entry.isDirectory() || entry.name.startsWith('.')) return [];
    const path = join(dir, entry.name);
    if (entry.name.startsWith('@')) return packages(path);
    const manifest = join(path, 'package.json');
    const own = existsSync(manifest) ? [JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; version: string; engines?: { node?: string } }] : [];
    const nested = existsSync(join(path, 'node_modules')) ? packages(join(path, 'node_modules')) : [];
    return [...own.map((p) => ({ name: p.name, version: p.version, node: p.engines?.node })), ...nested];
  });
}

/** The packages a user's install brings: npm's tree without development dependencies, as name@version. */
function runtimePackages(): Set<string> {
  type Tree = { dependencies?: Record<string, Tree & { version?: string }> };
  const tree = JSON.parse(execFileSync('npm', ['ls', '--omit=dev', '--all', '--json'], { cwd: ROOT, encoding: 'utf8' })) as Tree;
  const found = new Set<string>();
  const walk = (node: Tree) => {
    for (const [name, dep] of Object.entries(node.dependencies ?? {})) {
      found.add(`${name}@${dep.version}`);
      walk(dep);
    }
  };
  walk(tree);
  return found;
}

const needs = (p: { name: string; version: string; node?: string }) => `${p.name}@${p.version} needs node ${p.node}`;

t.test('every package a user installs runs on the oldest Node nepho supports; the tools on this one', async (t) => {
  const declared = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  const oldest = semver.minVersion(declared)!.version;
  const all = packages(join(ROOT, 'node_modules'));
  const runtime = runtimePackages();
  t.ok(all.length > 100 && runtime.size > 50, `the walks find the installed packages (${all.length}, ${runtime.size} of them a user's)`);
  t.same(
    all.filter((p) => runtime.has(`${p.name}@${p.version}`) && p.node !== undefined && !semver.satisfies(oldest, p.node)).map(needs),
    [],
    `each engines.node range of a user's packages admits Node ${oldest}`,
  );
  t.same(
    all.filter((p) => p.node !== undefined && !semver.satisfies(process.version, p.node)).map(needs),
    [],
    `each development tool admits the Node running the tests (${process.version})`,
  );
});
