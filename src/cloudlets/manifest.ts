import { existsSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { parse } from 'yaml';
import { NephoError, messageOf, type ErrorCode } from '../errors.js';
import { SmallFileError, readSmallFile } from '../fs.js';
import { VERSION } from '../version.js';
import { CLOUDLET_NAME } from './names.js';

/** `cloudlet.yaml`, validated. The format is a contract: see product.md. */
export interface CloudletManifest {
  name: string;
  version: string;
  summary?: string;
  description?: string;
  author?: string;
  license?: string;
  source?: string;
  project_page?: string;
  keywords: string[];
  /** The nepho versions it works with (a semver range). */
  nepho?: string;
  /** Parameter declarations shared by every scenario. */
  parameters: Record<string, unknown>;
}

/** The keys cloudlet.yaml may have. */
export const MANIFEST_KEYS = new Set([
  'name',
  'version',
  'summary',
  'description',
  'author',
  'license',
  'source',
  'project_page',
  'keywords',
  'nepho',
  'parameters',
]);

/** The largest cloudlet.yaml or scenario file nepho reads. */
const YAML_FILE_MAX_BYTES = 4 * 1024 * 1024;

/** The text of a cloudlet's YAML file (cloudlet.yaml, a scenario, a blueprint); errors name the file. */
export function readCloudletText(path: string): string {
  try {
    // A cloudlet is the user's or a stranger's directory: a FIFO or a device there must not hang nepho.
    return readSmallFile(path, YAML_FILE_MAX_BYTES).toString('utf8');
  } catch (error) {
    if (!(error instanceof SmallFileError)) throw error;
    throw new NephoError(error.reason === 'missing' ? 'FILE_MISSING' : 'FILE_UNREADABLE', `${path}: ${error.message}`);
  }
}

/** Read a YAML file into a plain value; errors name the file (and line, when YAML gives one). */
export function readYamlFile(path: string, code: ErrorCode): unknown {
  const text = readCloudletText(path);
  try {
    return parse(text, { prettyErrors: false });
  } catch (error) {
    const where = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new NephoError(code, `${path}${where ? `:${where}` : ''}: not valid YAML (${messageOf(error).split('\n')[0]})`);
  }
}

/**
 * Read and validate `<dir>/cloudlet.yaml`, and check that the cloudlet has the
 * `scenarios/default.yaml` every cloudlet must have. Errors name the file and field.
 */
export function readCloudletManifest(dir: string): CloudletManifest {
  const file = join(dir, 'cloudlet.yaml');
  const raw = readYamlFile(file, 'CLOUDLET_INVALID');
  const bad = (field: string, what: string) => new NephoError('CLOUDLET_INVALID', `${file}: ${field} ${what}`);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new NephoError('CLOUDLET_INVALID', `${file}: expected a mapping`);
  const m = raw as Record<string, unknown>;

  if (typeof m.name !== 'string' || !CLOUDLET_NAME.test(m.name)) throw bad('name', 'is required: lowercase letters, digits and "-"');
  if (typeof m.version !== 'string' && typeof m.version !== 'number') throw bad('version', 'is required (semver, such as 1.0.0)');
  const version = semver.valid(String(m.version));
  if (version === null) throw bad('version', `'${String(m.version)}' is not a semver version`);

  const manifest: CloudletManifest = { name: m.name, version, keywords: [], parameters: {} };
  for (const key of ['summary', 'description', 'author', 'license', 'source', 'project_page'] as const) {
    const value = m[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw bad(key, 'must be a string');
    manifest[key] = value;
  }
  if (m.keywords !== undefined && m.keywords !== null) {
    if (!Array.isArray(m.keywords) || m.keywords.some((k) => typeof k !== 'string')) throw bad('keywords', 'must be a list of strings');
    manifest.keywords = m.keywords as string[];
  }
  if (m.nepho !== undefined && m.nepho !== null) {
    if (typeof m.nepho !== 'string' || semver.validRange(m.nepho) === null) throw bad('nepho', 'must be a semver range such as ">=1.0.0"');
    manifest.nepho = m.nepho;
  }
  if (m.parameters !== undefined && m.parameters !== null) {
    if (typeof m.parameters !== 'object' || Array.isArray(m.parameters)) throw bad('parameters', 'must be a mapping of parameter declarations');
    manifest.parameters = m.parameters as Record<string, unknown>;
  }
  if (!existsSync(join(dir, 'scenarios', 'default.yaml'))) {
    throw new NephoError('CLOUDLET_INVALID', `${join(dir, 'scenarios', 'default.yaml')}: file not found; every cloudlet needs a default scenario`);
  }
  return manifest;
}

/** Refuse a cloudlet that asks for another nepho than this one. */
export function assertNephoCompatible(manifest: CloudletManifest, label: string): void {
  if (manifest.nepho && !semver.satisfies(VERSION, manifest.nepho, { includePrerelease: true })) {
    throw new NephoError('NEPHO_INCOMPATIBLE', `${label} needs nepho ${manifest.nepho}; this is nepho ${VERSION}`, {
      hint: 'upgrade nepho or install an older version of the cloudlet',
    });
  }
}
