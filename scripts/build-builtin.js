#!/usr/bin/env node
// Builds the registry that ships inside nepho (dist/builtin) from the official
// cloudlets under official/<owner>/<name>: one bare git repository each, with a
// deterministic commit (fixed author, committer and dates, so every build of
// the same files gives the same commit id) tagged v<version>, and index.json
// recording that commit and the digest of the tree nepho verifies at install.
//
// The index is signed as every signed registry is (index.json.sig), with a key
// pair made here, for this build only: its public key ships beside the index
// (registry.pub) and the private key is never written. The built-in registry is
// a file inside nepho's own package, so the signature cannot protect it from
// whoever can write there (they could change the key, or nepho, as well); what
// it does is put the built-in index through the same verification as any
// other, so a damaged or hand-edited copy is refused, with no long-lived
// secret to keep out of git or hand to every machine that builds nepho.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NOT_CONTENT } from '../dist/lib/installed.js';
import { readCloudletManifest } from '../dist/lib/manifest.js';
import { manifestDigest, readManifest } from '../dist/lib/fs.js';
import { PUBLIC_KEY_FILE, publicKeyText, signBytes } from '../dist/lib/keys.js';

const root = resolve(import.meta.dirname, '..');
const official = join(root, 'official');
const out = join(root, 'dist', 'builtin');
const STAMP = '2026-01-01T00:00:00Z';

const env = {
  PATH: process.env.PATH,
  HOME: tmpdir(),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'nepho',
  GIT_AUTHOR_EMAIL: 'nepho@localhost',
  GIT_AUTHOR_DATE: STAMP,
  GIT_COMMITTER_NAME: 'nepho',
  GIT_COMMITTER_EMAIL: 'nepho@localhost',
  GIT_COMMITTER_DATE: STAMP,
};
const git = (args, extra = {}) => execFileSync('git', args, { env: { ...env, ...extra }, encoding: 'utf8' }).trim();

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const cloudlets = {};

for (const owner of readdirSync(official).sort()) {
  for (const name of readdirSync(join(official, owner)).sort()) {
    const dir = join(official, owner, name);
    const manifest = readCloudletManifest(dir);
    if (manifest.name !== name) throw new Error(`${dir}/cloudlet.yaml: name is ${manifest.name}, expected ${name}`);
    const bare = join(out, `${owner}-${name}.git`);
    git(['init', '--quiet', '--bare', '--template=', bare]);
    const scratch = mkdtempSync(join(tmpdir(), 'nepho-builtin-'));
    try {
      const gitEnv = { GIT_DIR: bare, GIT_WORK_TREE: dir, GIT_INDEX_FILE: join(scratch, 'index') };
      git(['add', '--all', '.'], gitEnv);
      const tree = git(['write-tree'], gitEnv);
      const commit = git(['commit-tree', tree, '-m', `${owner}/${name} ${manifest.version}`], gitEnv);
      git(['update-ref', `refs/tags/v${manifest.version}`, commit], gitEnv);
      git(['update-ref', 'refs/heads/main', commit], gitEnv);
      git(['symbolic-ref', 'HEAD', 'refs/heads/main'], gitEnv);
      git(['gc', '--quiet', '--prune=now'], { GIT_DIR: bare });

      // The digest of exactly what an install of this commit yields.
      const tarball = join(scratch, 'tree.tar');
      git(['archive', '--format=tar', `--output=${tarball}`, commit], { GIT_DIR: bare });
      const checkout = join(scratch, 'tree');
      mkdirSync(checkout);
      execFileSync('tar', ['-xf', tarball, '-C', checkout]);
      const digest = manifestDigest(await readManifest(checkout, NOT_CONTENT));

      const entry = {
        source: `./${owner}-${name}.git`,
        keywords: manifest.keywords,
        versions: [{ version: manifest.version, ref: `v${manifest.version}`, commit, digest }],
      };
      for (const key of ['summary', 'description', 'author', 'license', 'project_page']) if (manifest[key]) entry[key] = manifest[key];
      cloudlets[`${owner}/${name}`] = entry;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
}

// No `expires`: the built-in index is as fresh as the nepho it ships with.
const bytes = Buffer.from(`${JSON.stringify({ apiVersion: 'nepho/v1', generated: STAMP, cloudlets }, null, 2)}\n`);
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
writeFileSync(join(out, 'index.json'), bytes);
writeFileSync(join(out, 'index.json.sig'), signBytes(bytes, privateKey));
writeFileSync(join(out, PUBLIC_KEY_FILE), `${publicKeyText(publicKey)}\n`);
console.error(`built-in registry: ${Object.keys(cloudlets).join(', ')} -> ${out}`);
