import { NephoError } from './errors.js';
import type { CommandSpec } from './help.js';
import { onFirstUse } from './on-first-use.js';

/**
 * The known words closest to `typed`, best first: those within a few edits
 * (about a third of the word, at least 2), and those it is the start of
 * (`cloudlet:inst`). At most `limit`; none when nothing is close, so that a
 * wild guess gets no suggestion rather than a random one.
 */
export function closestMatches(typed: string, known: readonly string[], limit = 3): string[] {
  const budget = Math.max(2, Math.floor(typed.length / 3));
  const { distance } = onFirstUse.levenshtein();
  return known
    .map((word) => ({ word, cost: word.startsWith(typed) && typed.length >= 3 ? 0.5 : distance(typed, word) }))
    .filter((c) => c.cost <= budget)
    .sort((a, b) => a.cost - b.cost || (a.word < b.word ? -1 : 1))
    .slice(0, limit)
    .map((c) => c.word);
}

/** `; did you mean a, b or c?`, or nothing. */
function didYouMean(matches: readonly string[]): string {
  if (matches.length === 0) return '';
  const quoted = matches.map((m) => `'${m}'`);
  const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
  return `; did you mean ${list}?`;
}

/** The command `argv` names: the one whose path it starts with, the longest path first. */
export function matchCommand(argv: readonly string[], specs: readonly CommandSpec[]): { spec: CommandSpec; length: number } | undefined {
  let best: { spec: CommandSpec; length: number } | undefined;
  for (const spec of specs) {
    for (const path of spec.paths) {
      if (path.every((word, i) => argv[i] === word) && (!best || path.length > best.length)) best = { spec, length: path.length };
    }
  }
  return best;
}

/**
 * What is wrong with a command line the parser refused, as one NephoError
 * (all three codes exit with status 2): an unknown command or option with the
 * closest known ones, else the parser's own `reason` for the command it
 * named (too few or too many arguments) and its usage in the hint.
 */
export function usageProblem(argv: readonly string[], specs: readonly CommandSpec[], reason: string | null, usage: (spec: CommandSpec) => string): NephoError {
  const matched = matchCommand(argv, specs);
  if (!matched) {
    const groups = new Set(specs.flatMap((s) => s.paths.filter((p) => p.length > 1).map((p) => p[0]!)));
    const first = argv[0] ?? '';
    // `nepho cloudlet instal`: the space form of a colon name.
    const typed = groups.has(first) && argv[1] !== undefined && !argv[1].startsWith('-') ? `${first}:${argv[1]}` : first;
    const names = specs.filter((s) => !s.hidden).map((s) => s.path);
    const shown = typed.includes(':') && !first.includes(':') ? `${first} ${argv[1]}` : typed;
    return new NephoError('UNKNOWN_COMMAND', `unknown command '${shown}'${didYouMean(closestMatches(typed, names))}`, {
      hint: 'nepho help lists every command',
    });
  }
  const { spec, length } = matched;
  const known = [...spec.options.flatMap((o) => o.names), '--help', '-h'];
  for (const word of argv.slice(length)) {
    if (word === '--') break;
    if (!word.startsWith('-') || word === '-') continue;
    const name = word.split('=')[0]!;
    // `-yo json`: single-letter flags may be bundled; each must exist.
    const letters = /^-[a-zA-Z]{2,}$/.test(name) ? [...name.slice(1)].map((l) => `-${l}`) : [name];
    const unknown = letters.find((l) => !known.includes(l));
    if (unknown !== undefined) {
      const longs = spec.options.flatMap((o) => o.names).filter((n) => n.startsWith('--'));
      return new NephoError(
        'UNKNOWN_OPTION',
        `nepho ${spec.path}: unknown option '${unknown}'${didYouMean(closestMatches(unknown, unknown.startsWith('--') ? longs : known))}`,
        {
          hint: `nepho ${spec.path} --help lists its options`,
        },
      );
    }
  }
  const why = (reason ?? 'these arguments do not fit the command').replace(/^./, (c) => c.toLowerCase()).replace(/\.$/, '');
  return new NephoError('USAGE', `nepho ${spec.path}: ${why}`, { hint: `usage: ${usage(spec)}` });
}
