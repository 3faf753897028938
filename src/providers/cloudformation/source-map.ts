/** A 1-based line and column in a template file. */
export interface Position {
  line: number;
  col: number;
}

/** A path into a parsed template: mapping keys and sequence indexes. */
export type NodePath = readonly (string | number)[];

/** Where the file starts: the position of findings about a node that was never written (a missing section). */
const START: Position = { line: 1, col: 1 };

/**
 * Where each node of a parsed template was written, so that a check working
 * on the plain document can name `file:line:col`. Paths name nodes as the
 * document holds them after short forms become long forms: `!Ref X` at
 * `Resources.A.Properties.P` is recorded for both `[..., 'P']` and
 * `[..., 'P', 'Ref']`.
 */
export class SourceMap {
  private readonly values = new Map<string, Position>();
  private readonly keys = new Map<string, Position>();

  /** Record where the value at `path` starts and, for a mapping entry, where its key does. */
  set(path: NodePath, value: Position, key?: Position): void {
    const id = pathId(path);
    if (!this.values.has(id)) this.values.set(id, value);
    if (key && !this.keys.has(id)) this.keys.set(id, key);
  }

  /** Where the value at `path` is, or its nearest recorded ancestor (the file's start for none). */
  at(path: NodePath): Position {
    for (let n = path.length; n >= 0; n--) {
      const found = this.values.get(pathId(path.slice(0, n)));
      if (found) return found;
    }
    return START;
  }

  /** Where the key naming `path` is written (`Resources.A` points at `A:`), else where its value is. */
  keyAt(path: NodePath): Position {
    return this.keys.get(pathId(path)) ?? this.at(path);
  }
}

function pathId(path: NodePath): string {
  return path.join('\u0000');
}
