import { mkdir } from 'node:fs/promises';
import type { SimpleGit } from 'simple-git';
import { NephoError, messageOf, type ErrorCode } from './errors.js';
import { onInterrupt } from './fs.js';
import { redactUrl } from './output.js';

/**
 * All of nepho's git access goes through this module: URL and ref checks,
 * the protocol allow-list, timeouts and the wording of git's failures.
 */

/** Transports nepho lets git use. `ext::` and `fd::` would let a URL run commands. */
const ALLOWED_PROTOCOLS = 'file:git:http:https:ssh';

const SCHEME_URL = /^(https?|ssh|git|file):\/\/[^\s]+$/i;
const SCP_LIKE = /^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:(?!\/\/)[^\s]+$/;
/** Anything shaped like `user@host:path`, strict or not; `assertSafeGitUrl` then says what is wrong with it. */
const SCP_SHAPED = /^[^\s/:@]+@[^\s/:]+:(?!\/\/)/;

/** A URL plus the ref after `#`, as `cloudlet:install URL#REF` takes it. */
export interface GitSpec {
  url: string;
  ref?: string;
}

/** Whether `text` looks like a git URL nepho accepts (it may still be refused by `assertSafeGitUrl`). */
export function looksLikeGitUrl(text: string): boolean {
  const url = text.split('#')[0] ?? '';
  return SCHEME_URL.test(url) || SCP_SHAPED.test(url) || /^[a-z][a-z0-9+.-]*::/i.test(text);
}

/** Split `URL#REF`; both parts are checked. */
export function parseGitSpec(spec: string, what = 'git URL'): GitSpec {
  const hash = spec.indexOf('#');
  const url = hash >= 0 ? spec.slice(0, hash) : spec;
  const ref = hash >= 0 ? spec.slice(hash + 1) : undefined;
  assertSafeGitUrl(url, what);
  if (ref !== undefined) assertSafeRef(ref, `${what} ref`);
  return ref === undefined ? { url } : { url, ref };
}

/**
 * Refuse URLs that could make git do more than fetch: option-like arguments,
 * command-running transports (`ext::`, `fd::`), and schemes outside the allow-list.
 */
export function assertSafeGitUrl(url: string, what = 'git URL'): void {
  const refuse = (why: string) =>
    new NephoError('UNSAFE_GIT_URL', `${what} '${redactUrl(url)}' ${why}`, {
      hint: 'use https://, ssh://, git://, file:// or user@host:path',
    });
  if (url === '') throw refuse('is empty');
  if (url.startsWith('-')) throw refuse('starts with "-" and would be read as an option');
  if (/[\0-\x1f\x7f]/.test(url)) throw refuse('contains control characters');
  if (/^[a-z][a-z0-9+.-]*::/i.test(url)) throw refuse('uses a transport that runs commands');
  if (SCHEME_URL.test(url)) {
    // git hands `user@host` to ssh as one argument: it must not read as an option.
    const authority = url.slice(url.indexOf('://') + 3).split('/')[0] ?? '';
    const host = authority.slice(authority.lastIndexOf('@') + 1);
    if (authority.startsWith('-') || host.startsWith('-')) throw refuse('has a host or user that starts with "-" and would be read as an option');
    return;
  }
  if (SCP_SHAPED.test(url)) {
    const host = url.slice(url.indexOf('@') + 1, url.indexOf(':', url.indexOf('@')));
    if (host.startsWith('-')) throw refuse('has a host that starts with "-" and would be read as an option');
    if (SCP_LIKE.test(url)) return;
    throw refuse('is not a valid user@host:path');
  }
  throw refuse('is not a git URL nepho accepts');
}

/** Refs are tag or branch names or commit ids; nothing that reads as an option or a path trick. */
export function assertSafeRef(ref: string, what = 'ref'): void {
  const refuse = (why: string) => new NephoError('UNSAFE_REF', `${what} '${ref}' ${why}`, { hint: 'name a tag, a branch or a commit id' });
  if (ref === '') throw refuse('is empty');
  if (ref.startsWith('-')) throw refuse('starts with "-" and would be read as an option');
  if (ref.startsWith('/') || ref.endsWith('/') || ref.includes('//')) throw refuse('is not a valid ref name');
  if (ref.includes('..') || ref.includes('@{') || ref.endsWith('.lock') || ref.endsWith('.')) throw refuse('is not a valid ref name');
  if (/[\0-\x20\x7f~^:?*[\\]/.test(ref)) throw refuse('contains characters git does not allow in refs');
}

/** Whether `ref` is a full commit id. */
export function isCommitId(ref: string): boolean {
  return /^[0-9a-f]{40}$/.test(ref);
}

async function git(baseDir: string, abort?: AbortSignal): Promise<SimpleGit> {
  const { simpleGit } = await import('simple-git');
  return simpleGit({ baseDir, timeout: { block: 120_000 }, ...(abort ? { abort } : {}) }).env({
    ...process.env,
    ...proxyVariables(process.env),
    GIT_ALLOW_PROTOCOL: ALLOWED_PROTOCOLS,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
  });
}

/**
 * git (through curl) reads the proxy variables itself, but `http_proxy` only
 * in lower case and `no_proxy` in either: the upper-case spellings nepho
 * honours elsewhere are passed on in lower case when only they are set.
 */
function proxyVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  const extra: Record<string, string> = {};
  for (const name of ['http_proxy', 'https_proxy', 'no_proxy']) {
    const upper = env[name.toUpperCase()];
    if (!env[name] && upper) extra[name] = upper;
  }
  return extra;
}

function gitFailure(code: ErrorCode, what: string, error: unknown): NephoError {
  const text = messageOf(error);
  const fatal = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(fatal|error):/.test(l));
  const reason = (fatal.at(-1) ?? text.split('\n').find((l) => l.trim() !== '') ?? text).replace(/^(fatal|error):\s*/, '');
  return new NephoError(code, `${what}: ${redactUrl(reason)}`);
}

/**
 * Fetch exactly one commit of `url` into the new directory `dir` and check it
 * out: the named ref (tag, branch or commit id) or the remote's HEAD.
 * Shallow wherever the server allows it. Returns the commit id checked out.
 * `dir` keeps its `.git`; the caller decides what to do with it.
 * `whileFetching` is called once git has been started: what the caller does
 * there (loading the code that checks the tree) overlaps the fetch.
 */
export async function checkoutRef(url: string, ref: string | undefined, dir: string, what: string, whileFetching?: () => void): Promise<string> {
  assertSafeGitUrl(url, what);
  if (ref !== undefined) assertSafeRef(ref, `${what} ref`);
  await mkdir(dir, { recursive: true });
  // Interrupted, nepho stops git before it removes the directory git writes into.
  const controller = new AbortController();
  const forget = onInterrupt(() => controller.abort());
  try {
    return await fetchInto(await git(dir, controller.signal), dir, url, ref, what, whileFetching);
  } finally {
    forget();
  }
}

// No --quiet below: simple-git waits 50 ms after any git command that prints
// nothing (its completion detection), three times per install otherwise.
async function fetchInto(g: SimpleGit, dir: string, url: string, ref: string | undefined, what: string, whileFetching?: () => void): Promise<string> {
  if (ref === undefined || !isCommitId(ref)) {
    // A tag, a branch or HEAD: one shallow clone does what init, fetch and checkout would.
    try {
      const cloning = g.clone(url, '.', ['--depth=1', '--no-tags', ...(ref === undefined ? [] : ['--branch', ref])]);
      whileFetching?.();
      await cloning;
      return (await clonedCommit(dir)) ?? (await g.raw(['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
    } catch (error) {
      throw gitFailure('GIT_FETCH_FAILED', `${what}: cannot fetch '${ref ?? 'HEAD'}' from ${redactUrl(url)}`, error);
    }
  }
  try {
    await g.init([]);
  } catch (error) {
    throw gitFailure('GIT_FAILED', `${what}: git init`, error);
  }
  const wanted = ref ?? 'HEAD';
  try {
    const fetching = g.fetch(['--depth=1', '--no-tags', '--', url, wanted]);
    whileFetching?.();
    await fetching;
  } catch (error) {
    if (!isCommitId(wanted)) throw gitFailure('GIT_FETCH_FAILED', `${what}: cannot fetch '${wanted}' from ${redactUrl(url)}`, error);
    // Not every server hands out a commit by id; fetch everything and look for it.
    try {
      await g.fetch(['--quiet', '--no-tags', '--', url, '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*']);
      await g.raw(['update-ref', 'FETCH_HEAD', wanted]);
    } catch (error2) {
      throw gitFailure('GIT_FETCH_FAILED', `${what}: commit ${wanted} is not in ${redactUrl(url)}`, error2);
    }
  }
  try {
    const commit = (await g.raw(['rev-parse', '--verify', 'FETCH_HEAD^{commit}'])).trim();
    await g.raw(['-c', 'advice.detachedHead=false', 'checkout', '--detach', commit]);
    return commit;
  } catch (error) {
    throw gitFailure('GIT_FAILED', `${what}: cannot check out '${wanted}'`, error);
  }
}

/**
 * The commit a fresh clone in `dir` checked out, read from its files: a
 * detached HEAD (a tag) names it; a branch's ref file or packed-refs line
 * does. Saves a git process per install; undefined when the files say
 * otherwise than expected (the caller asks git).
 */
async function clonedCommit(dir: string): Promise<string | undefined> {
  const { readFile } = await import('node:fs/promises');
  const read = (file: string) => readFile(`${dir}/.git/${file}`, 'utf8').catch(() => '');
  const head = (await read('HEAD')).trim();
  if (isCommitId(head)) return head;
  const ref = /^ref: (refs\/heads\/[^\s]+)$/.exec(head)?.[1];
  if (!ref) return undefined;
  const loose = (await read(ref)).trim();
  if (isCommitId(loose)) return loose;
  for (const line of (await read('packed-refs')).split('\n')) {
    const [commit, name] = line.split(' ');
    if (name === ref && commit !== undefined && isCommitId(commit)) return commit;
  }
  return undefined;
}

/** The commit a local repository's HEAD (or `rev`) points to. */
export async function resolveCommit(dir: string, rev = 'HEAD'): Promise<string> {
  const g = await git(dir);
  try {
    return (await g.raw(['rev-parse', '--verify', `${rev}^{commit}`])).trim();
  } catch (error) {
    throw gitFailure('GIT_FAILED', `${dir}: cannot resolve '${rev}'`, error);
  }
}

/** Whether `dir` is the top of a git work tree. */
export async function isRepository(dir: string): Promise<boolean> {
  try {
    const g = await git(dir);
    const top = (await g.raw(['rev-parse', '--show-toplevel'])).trim();
    const { realpath } = await import('node:fs/promises');
    return (await realpath(top)) === (await realpath(dir));
  } catch {
    return false;
  }
}

/** Tags of a remote with the commits they point to (annotated tags peeled). */
export async function listRemoteTags(url: string, what: string): Promise<Map<string, string>> {
  assertSafeGitUrl(url, what);
  const g = await git(process.cwd());
  let out: string;
  try {
    out = await g.raw(['ls-remote', '--tags', '--', url]);
  } catch (error) {
    throw gitFailure('GIT_FAILED', `${what}: cannot list tags of ${redactUrl(url)}`, error);
  }
  const tags = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^([0-9a-f]{40})\trefs\/tags\/(.+?)(\^\{\})?$/.exec(line.trim());
    if (!m) continue;
    const [, sha, name, peeled] = m;
    if (peeled || !tags.has(name!)) tags.set(name!, sha!);
  }
  return tags;
}

/**
 * Make `dir` a new git repository holding everything in it as one first
 * commit. The commit has an author even where git has none configured, so
 * that scaffolding never fails on a fresh machine.
 */
export async function initialCommit(dir: string, message: string): Promise<string> {
  const g = await git(dir);
  try {
    await g.init([]);
    await g.add(['--all', '--', '.']);
    const name = (await g.raw(['config', '--get', 'user.name']).catch(() => '')).trim();
    const email = (await g.raw(['config', '--get', 'user.email']).catch(() => '')).trim();
    await g.raw(['-c', `user.name=${name || 'nepho'}`, '-c', `user.email=${email || 'nepho@localhost'}`, 'commit', '--no-gpg-sign', '-m', message]);
    return (await g.raw(['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
  } catch (error) {
    throw gitFailure('GIT_FAILED', `${dir}: cannot make the first commit`, error);
  }
}
