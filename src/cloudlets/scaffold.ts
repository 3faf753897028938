import { chmod, cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { NephoError } from '../errors.js';
import { initialCommit } from '../git.js';
import { PACKAGE_ROOT } from '../paths.js';
import { CLOUDLET_NAME } from './names.js';

/** The placeholder the template's files use for the cloudlet's name. */
export const NAME_PLACEHOLDER = '__NAME__';

/** What `scaffoldCloudlet` made. */
export interface ScaffoldResult {
  /** The new cloudlet's directory (absolute). */
  dir: string;
  /** Files written, relative to `dir`, sorted. */
  files: string[];
  /** The first commit's id. */
  commit: string;
}

/**
 * Make a new cloudlet from `templates/cloudlet`: copy it into `dir` (which
 * must not exist or be empty), put `name` wherever the template says
 * `__NAME__`, keep executable bits, and make a git repository with a first commit.
 */
export async function scaffoldCloudlet(name: string, dir: string, templateDir = join(PACKAGE_ROOT, 'templates', 'cloudlet')): Promise<ScaffoldResult> {
  if (!CLOUDLET_NAME.test(name)) {
    throw new NephoError('BAD_CLOUDLET_NAME', `'${name}' is not a cloudlet name`, {
      hint: 'use lowercase letters, digits and "-", starting with a letter or digit (at most 63 characters)',
    });
  }
  const target = resolve(dir);
  const existing = await stat(target).catch(() => undefined);
  if (existing && !existing.isDirectory()) {
    throw new NephoError('DIRECTORY_NOT_EMPTY', `${target} exists and is not a directory`, { hint: 'choose another --directory' });
  }
  if (existing && (await readdir(target)).length > 0) {
    throw new NephoError('DIRECTORY_NOT_EMPTY', `${target} exists and is not empty`, { hint: 'choose another --directory, or empty it first' });
  }
  await mkdir(target, { recursive: true });
  await cp(templateDir, target, { recursive: true, preserveTimestamps: false });
  const files = await listFiles(target);
  for (const file of files) {
    const path = join(target, file);
    const text = await readFile(path, 'utf8');
    if (!text.includes(NAME_PLACEHOLDER)) continue;
    const mode = (await stat(path)).mode;
    await writeFile(path, text.replaceAll(NAME_PLACEHOLDER, name));
    await chmod(path, mode & 0o7777);
  }
  const commit = await initialCommit(target, `New cloudlet ${name}, made by nepho cloudlet:create`);
  return { dir: target, files, commit };
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(root, path)));
    else if (entry.isFile()) out.push(relative(root, path));
  }
  return out.sort();
}
