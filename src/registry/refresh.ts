import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { isNephoError, type NephoError } from '../errors.js';
import { removePath, withLazyScratchDir } from '../fs.js';
import { fetchToFile } from '../http.js';
import { IndexFileBuilder } from './index-file.js';
import {
  EARLIER_FOLDERS,
  INDEX_FILE,
  SEARCH_FILE,
  cacheDir,
  cacheRoot,
  localFileStamp,
  sameStamp,
  writeMeta,
  type CacheMeta,
  type RegistryContext,
  type RegistrySource,
  type RegistryState,
} from './registries.js';
import { SearchIndexBuilder } from './search-index.js';
import { commitTrust, pinnedKey, vouchForIndex } from './signing.js';

/** What `syncRegistry` found before deciding to ask the source. */
export interface RefreshFrom {
  /** The usable cached copy, if any. */
  held: CacheMeta | undefined;
  /** Now, in milliseconds. */
  now: number;
  /** A refresh the user asked for: failures are reported by the caller, not warned about. */
  force: boolean;
  /** The URL to fetch (it may carry credentials that are not stored). */
  fetchUrl: string;
}

/**
 * The network half of `syncRegistry` (registries.ts): ask the source for its
 * index with the held copy's ETag, and index a new document into a fresh
 * copy. Kept apart so that a command whose copies are current (a search
 * within the TTL) never loads the HTTP client, the parser or the signature
 * checks.
 */
export async function refreshRegistry(source: RegistrySource, ctx: RegistryContext, { held, now, force, fetchUrl }: RefreshFrom): Promise<RegistryState> {
  const dir = cacheDir(ctx.home, source.name);
  const local = source.url.startsWith('file:');
  const fallBack = (error: NephoError): RegistryState => {
    if (!held) return { source, state: 'unavailable', error };
    if (!force) ctx.warn(`${error.message}; using the copy from ${new Date(held.checkedAt).toISOString()}`);
    return { source, state: 'offline', checkedAt: new Date(held.checkedAt).toISOString(), count: held.count, error };
  };
  const current = (etag: string | undefined): RegistryState => {
    // A local file is checked on every command: its copy is not rewritten each time to say so,
    // only when the file's stamp changed (so that the next command needs only a stat).
    if (force || !local) writeMeta(dir, { ...held!, checkedAt: now, ...(etag ? { etag } : {}) });
    else if (stamp && !sameStamp(held!.file, stamp)) writeMeta(dir, { ...held!, file: stamp });
    return { source, state: 'current', checkedAt: new Date(now).toISOString(), count: held!.count };
  };

  // Taken before the file is read: a change while it is read is seen by the next command.
  const stamp = local ? localFileStamp(source.url) : undefined;
  mkdirSync(cacheRoot(ctx.home), { recursive: true });
  return withLazyScratchDir(cacheRoot(ctx.home), async (scratch) => {
    let result;
    try {
      result = await fetchToFile(fetchUrl, () => join(scratch(), 'download'), {
        ...ctx.config.http,
        what: `registry '${source.name}'`,
        // A local file's ETag is its size and modification time: its stamp (inode, change time) already
        // differs, so it is read and its digest compared, which tells a rewrite of the same size and time.
        ...(held?.etag && !local ? { etag: held.etag } : {}),
      });
    } catch (error) {
      if (!isNephoError(error)) throw error;
      return fallBack(error);
    }
    // Only a request that sent the held copy's ETag can be answered "not modified" (src/http.ts).
    if (result.status === 'not-modified') return current(held!.etag);
    if (held && result.sha256 === held.digest) return current(result.etag);

    // `result.path` holds the new document as downloaded, not yet read or trusted: it is vouched
    // for here, before it is read into a copy that replaces the cache. Only a signed registry's
    // check reads it (its signature covers the exact bytes, verified in one piece).
    let verdict;
    try {
      verdict = pinnedKey(source) === undefined ? undefined : await vouchForIndex(source, ctx, readFileSync(result.path), fetchUrl);
    } catch (error) {
      if (!isNephoError(error)) throw error;
      return fallBack(error);
    }
    const generation = randomBytes(8).toString('hex');
    let built;
    try {
      // The parser and its checks load only when there is a document to read.
      const { IndexParser } = await import('./format.js');
      built = buildCopy(IndexParser, result.path, source, ctx, scratch(), generation);
    } catch (error) {
      if (!isNephoError(error)) throw error;
      return fallBack(error);
    }
    for (const warning of built.warnings) ctx.warn(warning);
    mkdirSync(dir, { recursive: true });
    // The index and search files first, the meta file last: it is what says the copy is complete.
    renameSync(join(scratch(), INDEX_FILE), join(dir, INDEX_FILE));
    renameSync(join(scratch(), SEARCH_FILE), join(dir, SEARCH_FILE));
    writeMeta(dir, {
      url: source.url,
      checkedAt: now,
      count: built.count,
      ...(result.etag ? { etag: result.etag } : {}),
      digest: result.sha256,
      generation,
      sizes: built.sizes,
      ...(stamp ? { file: stamp } : {}),
    });
    commitTrust(ctx.home, source, verdict);
    for (const folder of EARLIER_FOLDERS) await removePath(join(ctx.home.cache, folder, source.name));
    return { source, state: 'fetched', checkedAt: new Date(now).toISOString(), count: built.count };
  });
}

/**
 * Read the index document at `path` as a stream, straight into the index and
 * search files of a new copy in `scratch`. Throws a NephoError when the
 * document is refused.
 */
function buildCopy(
  IndexParser: typeof import('./format.js').IndexParser,
  path: string,
  source: RegistrySource,
  ctx: RegistryContext,
  scratch: string,
  generation: string,
): { count: number; warnings: string[]; sizes: CacheMeta['sizes'] } {
  const index = new IndexFileBuilder(join(scratch, INDEX_FILE));
  const search = new SearchIndexBuilder();
  try {
    const parser = new IndexParser({
      registry: source.name,
      indexUrl: source.url,
      maxCost: ctx.config.http.maxBytes,
      onEntry: (id, cloudlet) => {
        if (cloudlet) search.add(index.add(cloudlet), cloudlet);
        else index.drop(id);
      },
      onRestart: () => index.dropAll(),
    });
    const fd = openSync(path, 'r');
    try {
      const decoder = new StringDecoder('utf8');
      const chunk = Buffer.allocUnsafe(1024 * 1024);
      for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) parser.push(decoder.write(chunk.subarray(0, n)));
      parser.push(decoder.end());
    } finally {
      closeSync(fd);
    }
    const { generated, warnings } = parser.end();
    const { order, size } = index.finish(generation, generated === undefined ? {} : { generated });
    const searchSize = search.write(join(scratch, SEARCH_FILE), order, generation);
    return { count: order.length, warnings, sizes: { [INDEX_FILE]: size, [SEARCH_FILE]: searchSize } };
  } catch (error) {
    index.abandon();
    throw error;
  }
}
