import { dirname, join, normalize, isAbsolute, resolve } from 'node:path';
import { isNephoError, NephoError } from '../errors.js';
import { writeFileAtomicSync } from '../fs.js';
import { makeDirs } from '../home.js';
import type { RenderedFile } from '../providers/types.js';

/**
 * Write rendered files under `dir` (`--dry-run --out DIR`). Each file is
 * written atomically; paths cannot leave `dir`. Returns the paths written.
 */
export async function writeRendered(dir: string, files: RenderedFile[]): Promise<string[]> {
  const root = resolve(dir);
  const written: string[] = [];
  for (const file of files) {
    if (isAbsolute(file.path) || normalize(file.path).startsWith('..')) {
      throw new NephoError('RENDER_INVALID', `a provider rendered '${file.path}', which is outside --out`);
    }
    const target = join(root, file.path);
    try {
      makeDirs(dirname(target), 0o777, 'OUT_UNWRITABLE');
      writeFileAtomicSync(target, file.content, file.mode ?? 0o644);
    } catch (error) {
      if (isNephoError(error)) throw new NephoError('OUT_UNWRITABLE', `--out ${dir}: ${error.message}`);
      throw new NephoError('OUT_UNWRITABLE', `--out ${dir}: cannot write ${file.path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    written.push(target);
  }
  return written;
}
