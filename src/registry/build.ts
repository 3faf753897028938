import type { KeyObject } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import { listBlueprints } from '../blueprints/format.js';
import { NOT_CONTENT } from '../cloudlets/installed.js';
import { lintCloudlet } from '../cloudlets/lint.js';
import { readCloudletManifest, type CloudletManifest } from '../cloudlets/manifest.js';
import { CLOUDLET_ID } from '../cloudlets/names.js';
import { NephoError, messageOf } from '../errors.js';
import { manifestDigest, onInterrupt, readManifest, removePath, writeFileAtomicSync } from '../fs.js';
import { checkoutRef, listRemoteTags, looksLikeGitUrl } from '../git.js';
import { makeDirs } from '../home.js';
import { redactUrl } from '../output.js';
import { builtinPlugins } from '../providers/catalog.js';
import type { PluginRegistry } from '../providers/types.js';
import { API_VERSION, type RegistryCloudlet, type RegistryVersion } from './format.js';
import { publicKeyOf, readKeyArgument, readPrivateKey, signBytes, signNextKey, type NextKey } from './keys.js';

/** What `registry:build` is asked to do. */
export interface BuildOptions {
  /** Cloudlet git repositories: URLs or local paths. */
  sources: string[];
  /** Where index.json and index.html are written (created if missing). */
  out: string;
  /** The owner part of every cloudlet id; when absent, derived from each source URL (see `ownerOf`). */
  owner?: string;
  /** Called with one line per tag or source left out. */
  warn: (message: string) => void;
  /** Called with progress lines. */
  notice?: (message: string) => void;
  /** The providers cloudlets are checked against (the built-in ones by default). */
  registry?: PluginRegistry;
  /** The `generated` time (tests pin it); now by default. */
  now?: Date;
  /** A private key file (`registry:keygen`): sign the index with it, writing index.json.sig beside it. */
  sign?: string;
  /** With `sign`: days until the index expires (30 by default). */
  expiresInDays?: number;
  /** With `sign`: the public key (text or file) that will sign next, announced signed with the `sign` key. */
  nextKey?: string;
  /** With `sign`: the private key file that signed before; the index carries the `sign` key signed with it. */
  previousKey?: string;
}

/** One cloudlet as index.json lists it: the registry format without the id (it is the key), every version with its digest. */
export type BuiltCloudlet = Omit<RegistryCloudlet, 'id' | 'versions'> & {
  /** Newest first. */
  versions: Required<RegistryVersion>[];
  /** The newest version's blueprints (absent when it has none); registry clients ignore the field. */
  blueprints?: BuiltBlueprint[];
};

/** A blueprint of a cloudlet, as the listing shows it. */
export interface BuiltBlueprint {
  name: string;
  summary: string;
}

/** The document written to index.json. */
export interface BuiltIndex {
  apiVersion: typeof API_VERSION;
  generated: string;
  /** Signed indexes only: after this time the index no longer serves installs. */
  expires?: string;
  /** Signed indexes only: the key that signs next, signed with the current one. */
  nextKey?: NextKey;
  cloudlets: Record<string, BuiltCloudlet>;
}

/** What a build produced. */
export interface BuildResult {
  index: BuiltIndex;
  indexFile: string;
  htmlFile: string;
  /** index.json.sig, when the index was signed. */
  signatureFile?: string;
  /** The public key that signed it. */
  signedBy?: string;
  /** Tags left out, each with its reason (also given to `warn`). */
  skipped: { source: string; tag: string; reason: string }[];
}

const OWNER = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** A source as git sees it: URLs as written, a local path as its file:// URL. */
export function sourceUrl(source: string): string {
  return looksLikeGitUrl(source) ? source : pathToFileURL(resolve(source)).toString();
}

/**
 * The owner of a source's cloudlet: `--owner` when given; otherwise the name
 * of the directory that holds the repository in its URL, lowercased
 * (`https://github.com/huit/nepho-mediawiki.git` → `huit`), when that is a
 * valid owner. Anything else needs `--owner`.
 */
export function ownerOf(url: string, owner?: string): string {
  if (owner !== undefined) {
    if (!OWNER.test(owner)) throw new NephoError('BAD_ARGUMENT', `--owner '${owner}' is not an owner name (lowercase letters, digits, '-' and '_')`);
    return owner;
  }
  const path = url
    .replace(/^[a-z]+:\/\/[^/]*/i, '')
    .replace(/^[^@/]+@[^:]+:/, '')
    .replace(/\/+$/, '');
  const parent = basename(dirname(path)).toLowerCase();
  if (OWNER.test(parent)) return parent;
  throw new NephoError('OWNER_UNKNOWN', `${redactUrl(url)}: cannot tell the cloudlet's owner from the URL`, { hint: 'pass --owner OWNER' });
}

/** The semver version a tag names (`v1.2.3` or `1.2.3`), or undefined. */
export function tagVersion(tag: string): string | undefined {
  const m = /^v?(.+)$/.exec(tag);
  const version = m ? semver.valid(m[1]!) : null;
  return version !== null && (tag === version || tag === `v${version}`) ? version : undefined;
}

/**
 * Check a fetched tree the way `cloudlet:install` and `cloudlet:lint` would:
 * links that stay inside, cloudlet.yaml and its version, and everything
 * `cloudlet:lint` finds an error (without cfn-lint). Returns the manifest and the tree
 * digest install verifies.
 */
async function checkTree(
  tree: string,
  version: string,
  registry: PluginRegistry,
): Promise<{ manifest: CloudletManifest; digest: string; blueprints: BuiltBlueprint[] }> {
  const digest = manifestDigest(await readManifest(tree, NOT_CONTENT));
  const manifest = readCloudletManifest(tree);
  if (manifest.version !== version) throw new NephoError('CLOUDLET_INVALID', `cloudlet.yaml version is ${manifest.version}, but the tag names ${version}`);
  // cloudlet:lint's checks (every scenario, pattern, parameter and the bootstrap script); external checkers are left to authors.
  const errors = (await lintCloudlet(tree, { registry, env: process.env, external: false })).filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    const shown = errors.slice(0, 3).map((p) => `${p.file}${p.field === '-' ? '' : ` ${p.field}`}: ${p.message}`);
    throw new NephoError('CLOUDLET_INVALID', `fails lint: ${shown.join('; ')}${errors.length > 3 ? `; and ${errors.length - 3} more` : ''}`);
  }
  return { manifest, digest, blueprints: listBlueprints(tree).map(({ name, summary }) => ({ name, summary })) };
}

/**
 * Build a registry from cloudlet git repositories: every semver tag of each
 * source becomes a version pinned to its commit and the digest of its tree.
 * Tags whose content fails the checks are left out with a warning; a source
 * that cannot be read, or a build that yields nothing, is an error.
 */
export async function buildRegistry(options: BuildOptions): Promise<BuildResult> {
  if (options.sources.length === 0) throw new NephoError('BAD_ARGUMENT', 'no SOURCE given', { hint: 'name one or more cloudlet git repositories' });
  // Keys are read before anything is cloned: a wrong key file fails at once.
  const signing = signingPlan(options);
  const cloudlets: Record<string, BuiltCloudlet> = {};
  const skipped: BuildResult['skipped'] = [];
  const scratch = await mkdtemp(join(tmpdir(), 'nepho-registry-build-'));
  // Interrupted, the checkouts go too.
  const forget = onInterrupt(() => rmSync(scratch, { recursive: true, force: true }));
  try {
    for (const [i, source] of options.sources.entries()) {
      const url = sourceUrl(source);
      const shown = redactUrl(url);
      const owner = ownerOf(url, options.owner);
      const tags = await listRemoteTags(url, shown);
      const found: { version: RegistryVersion & { digest: string }; manifest: CloudletManifest; blueprints: BuiltBlueprint[] }[] = [];
      const skip = (tag: string, reason: string) => {
        skipped.push({ source: shown, tag, reason });
        options.warn(`${shown} tag ${tag} left out: ${reason}`);
      };
      for (const [tag, commit] of tags) {
        const version = tagVersion(tag);
        if (version === undefined) continue;
        if (found.some((f) => f.version.version === version)) {
          skip(tag, `version ${version} is already given by another tag`);
          continue;
        }
        options.notice?.(`Notice: checking ${shown} ${tag} ...`);
        const tree = join(scratch, `${i}-${found.length}-${skipped.length}`);
        try {
          const fetched = await checkoutRef(url, tag, tree, `${shown} ${tag}`);
          if (fetched !== commit) throw new NephoError('COMMIT_MISMATCH', `${tag} moved while building (${commit} then ${fetched})`);
          await removePath(join(tree, '.git'));
          const { manifest, digest, blueprints } = await checkTree(tree, version, options.registry ?? builtinPlugins());
          found.push({ version: { version, ref: tag, commit, digest }, manifest, blueprints });
        } catch (error) {
          if (!(error instanceof NephoError)) throw error;
          skip(tag, messageOf(error).split(`${tree}/`).join('').split(tree).join('.'));
        } finally {
          await removePath(tree);
        }
      }
      if (found.length === 0) {
        options.warn(`${shown}: no usable semver tag; nothing published from it`);
        continue;
      }
      found.sort((a, b) => semver.rcompare(a.version.version, b.version.version));
      const newest = found[0]!.manifest;
      const blueprints = found[0]!.blueprints;
      const id = `${owner}/${newest.name}`;
      if (!CLOUDLET_ID.test(id)) throw new NephoError('BAD_ARGUMENT', `${shown}: '${id}' is not a cloudlet id`);
      // One id, one name: an older tag under another name belongs to another cloudlet.
      const versions = found.filter((f) => {
        if (f.manifest.name === newest.name) return true;
        skip(f.version.ref, `cloudlet.yaml name is '${f.manifest.name}', but the newest version is '${newest.name}'`);
        return false;
      });
      if (cloudlets[id])
        throw new NephoError('DUPLICATE_CLOUDLET', `${shown}: ${id} is already given by ${cloudlets[id]!.source}`, {
          hint: 'give each cloudlet one source, or use another --owner',
        });
      const entry: BuiltCloudlet = { keywords: newest.keywords, source: url, versions: versions.map((f) => f.version) };
      for (const key of ['summary', 'description', 'author', 'license', 'project_page'] as const) {
        if (newest[key] !== undefined) entry[key] = newest[key];
      }
      if (blueprints.length > 0) entry.blueprints = blueprints;
      cloudlets[id] = entry;
    }
  } finally {
    forget();
    await removePath(scratch);
  }
  if (Object.keys(cloudlets).length === 0) {
    throw new NephoError('REGISTRY_EMPTY', 'no source yielded a cloudlet version; nothing was written', {
      hint: 'tag releases v<version> and check the warnings above',
    });
  }
  const now = options.now ?? new Date();
  // The signing fields before the cloudlets: a reader finds them without going through the whole index.
  const index: BuiltIndex = {
    apiVersion: API_VERSION,
    generated: isoSeconds(now),
    ...(signing ? { expires: isoSeconds(new Date(now.getTime() + signing.expiresInDays * 86_400_000)) } : {}),
    ...(signing?.nextKey ? { nextKey: signing.nextKey } : {}),
    cloudlets,
  };
  const out = resolve(options.out);
  makeDirs(out, 0o777, 'OUT_UNWRITABLE');
  const indexFile = join(out, 'index.json');
  const htmlFile = join(out, 'index.html');
  const signatureFile = join(out, 'index.json.sig');
  const bytes = Buffer.from(`${JSON.stringify(index, null, 2)}\n`);
  writeFileAtomicSync(indexFile, bytes);
  // The signature is over exactly the bytes written; an unsigned build leaves no earlier signature behind.
  if (signing) writeFileAtomicSync(signatureFile, signBytes(bytes, signing.key));
  else rmSync(signatureFile, { force: true });
  writeFileAtomicSync(htmlFile, renderListing(index));
  return { index, indexFile, htmlFile, skipped, ...(signing ? { signatureFile, signedBy: signing.publicKey } : {}) };
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The keys a signed build uses, checked; undefined for an unsigned build (whose signing options are refused). */
function signingPlan(options: BuildOptions): { key: KeyObject; publicKey: string; expiresInDays: number; nextKey?: NextKey } | undefined {
  if (options.sign === undefined) {
    const stray = (['expiresInDays', 'nextKey', 'previousKey'] as const).find((k) => options[k] !== undefined);
    if (stray) throw new NephoError('BAD_ARGUMENT', `--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --sign KEYFILE`);
    return undefined;
  }
  const days = options.expiresInDays ?? 30;
  if (!(days > 0) || !Number.isFinite(days)) throw new NephoError('BAD_ARGUMENT', `--expires-in '${days}' must be a number of days above 0`);
  const key = readPrivateKey(options.sign, '--sign');
  const publicKey = publicKeyOf(key);
  if (options.nextKey !== undefined && options.previousKey !== undefined) {
    throw new NephoError('BAD_ARGUMENT', '--next-key and --previous-key both name a rotation; give one', {
      hint: '--next-key announces the key that signs next; --previous-key, once signing with the new key, proves it',
    });
  }
  let nextKey: NextKey | undefined;
  if (options.nextKey !== undefined) {
    const next = readKeyArgument(options.nextKey);
    if (next === publicKey)
      throw new NephoError('BAD_ARGUMENT', '--next-key is the --sign key itself', { hint: 'give the public key of a new pair from nepho registry:keygen' });
    nextKey = signNextKey(next, key);
  } else if (options.previousKey !== undefined) {
    const previous = readPrivateKey(options.previousKey, '--previous-key');
    if (publicKeyOf(previous) === publicKey) throw new NephoError('BAD_ARGUMENT', '--previous-key is the --sign key itself');
    nextKey = signNextKey(publicKey, previous);
  }
  return { key, publicKey, expiresInDays: days, ...(nextKey ? { nextKey } : {}) };
}

/** Text made safe for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Only http(s) links are made clickable: a `javascript:` project page stays text. */
function safeLink(url: string | undefined): string | undefined {
  return url !== undefined && /^https?:\/\//i.test(url) ? url : undefined;
}

/**
 * The static listing page: one self-contained file (inline CSS and script, no
 * external assets), every cloudlet with its summary, versions, blueprints and
 * install command, and a search box that filters as you type. All cloudlet text is
 * escaped; the script only reads data-* attributes and text, never markup.
 */
export function renderListing(index: BuiltIndex): string {
  const items = Object.entries(index.cloudlets)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, c]) => {
      const command = `nepho cloudlet:install ${id}`;
      const blueprints = c.blueprints ?? [];
      const search = [id, c.summary ?? '', c.description ?? '', c.author ?? '', ...c.keywords, ...blueprints.flatMap((b) => [b.name, b.summary])]
        .join(' ')
        .toLowerCase();
      const link = safeLink(c.project_page);
      const meta = [
        c.author ? `by ${escapeHtml(c.author)}` : '',
        c.license ? escapeHtml(c.license) : '',
        link ? `<a href="${escapeHtml(link)}" rel="noopener noreferrer">project page</a>` : '',
      ]
        .filter((s) => s !== '')
        .join(' · ');
      return [
        `<li class="cloudlet" data-id="${escapeHtml(id)}" data-search="${escapeHtml(search)}">`,
        `<h2>${escapeHtml(id)}</h2>`,
        c.summary ? `<p class="summary">${escapeHtml(c.summary)}</p>` : '',
        c.description ? `<p class="description">${escapeHtml(c.description)}</p>` : '',
        meta ? `<p class="meta">${meta}</p>` : '',
        c.keywords.length ? `<p class="keywords">${c.keywords.map((k) => `<span>${escapeHtml(k)}</span>`).join(' ')}</p>` : '',
        `<p class="versions">versions: ${c.versions.map((v) => `<span class="version" title="${escapeHtml(v.commit)}">${escapeHtml(v.version)}</span>`).join(', ')}</p>`,
        blueprints.length ? `<ul class="blueprints">${blueprints.map((b) => renderBlueprint(id, b)).join('')}</ul>` : '',
        `<div class="install"><code class="command">${escapeHtml(command)}</code> <button type="button" class="copy" data-command="${escapeHtml(command)}">copy</button></div>`,
        '</li>',
      ]
        .filter((s) => s !== '')
        .join('\n');
    });
  const count = items.length;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'none'">
<title>nepho cloudlets</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 50rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
input#search { width: 100%; font-size: 1.1rem; padding: .5rem; box-sizing: border-box; }
ul#cloudlets { list-style: none; padding: 0; }
li.cloudlet { border-bottom: 1px solid #ddd; padding: .75rem 0; }
li.cloudlet h2 { font-size: 1.2rem; margin: 0 0 .25rem; }
.meta, .versions, .keywords { color: #555; font-size: .9rem; margin: .25rem 0; }
.keywords span { background: #eef; border-radius: 3px; padding: 0 .3rem; }
ul.blueprints { font-size: .9rem; margin: .25rem 0; padding-left: 1.2rem; }
ul.blueprints code { background: #f4f4f4; padding: 0 .3rem; }
code.command { background: #f4f4f4; padding: .2rem .4rem; }
#empty { color: #777; }
</style>
</head>
<body>
<h1>nepho cloudlets</h1>
<p>${count} cloudlet(s), generated ${escapeHtml(index.generated)}. Add this registry with <code>nepho registry:add NAME URL-OF-index.json</code>.</p>
<input id="search" type="search" placeholder="Search cloudlets" autocomplete="off" aria-label="Search cloudlets">
<ul id="cloudlets">
${items.join('\n')}
</ul>
<p id="empty" hidden>No cloudlet matches.</p>
<script>
(function () {
  var box = document.getElementById('search');
  var items = Array.prototype.slice.call(document.querySelectorAll('li.cloudlet'));
  var empty = document.getElementById('empty');
  function filter() {
    var terms = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    items.forEach(function (li) {
      var text = li.getAttribute('data-search');
      var match = terms.every(function (t) { return text.indexOf(t) >= 0; });
      li.hidden = !match;
      if (match) shown++;
    });
    empty.hidden = shown !== 0;
  }
  box.addEventListener('input', filter);
  document.querySelectorAll('button.copy').forEach(function (button) {
    button.addEventListener('click', function () {
      var text = button.getAttribute('data-command');
      var done = function () { button.textContent = 'copied'; setTimeout(function () { button.textContent = 'copy'; }, 1500); };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, function () {});
    });
  });
  filter();
})();
</script>
</body>
</html>
`;
}

/** One blueprint in the listing: its name, summary and the command that applies it. */
function renderBlueprint(id: string, b: BuiltBlueprint): string {
  const command = `nepho blueprint:apply ${id}/${b.name} --name NAME`;
  const summary = b.summary ? ` <span class="blueprint-summary">${escapeHtml(b.summary)}</span>` : '';
  return `<li class="blueprint" data-blueprint="${escapeHtml(b.name)}">blueprint <strong class="name">${escapeHtml(b.name)}</strong>${summary} <code class="apply">${escapeHtml(command)}</code></li>`;
}
