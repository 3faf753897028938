import { appendFileSync, closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorCode } from '../errors.js';
import type { NephoHome } from '../home.js';
import type { FormationEvent, ResourceFailure } from '../providers/types.js';
import { formationDir } from './records.js';

/** The journal's file name inside `$NEPHO_HOME/formations/<name>/`. */
export const JOURNAL_FILE = 'journal.jsonl';
/** The lock a running operation holds, inside the formation's directory. */
export const OPERATION_LOCK = 'operation.lock';

/** The kinds of operation run on a formation. */
export type OperationKind = 'create' | 'destroy' | 'update' | 'provision';

/**
 * One line of a formation's journal. The journal is only ever appended to:
 * every operation starts with `start` and ends with `end` (the provider's
 * verdict) or `error` (the operation could not be carried out: nepho's or the
 * provider's own failure). An error's code is the thrown error's: catalogued
 * codes are never renamed, so an old journal still reads right; a plugin's
 * own code is kept as is.
 */
export type JournalEntry =
  | {
      time: string;
      kind: 'start';
      operation: OperationKind;
      pid: number;
      host: string;
      /** Who started it, `user@host`. */
      by?: string;
      /** The cloudlet version the operation deploys. */
      version?: string;
      /** Parameter values it changes (secrets masked). */
      changes?: ParameterChange[];
      /** The resources it works on, by id, when known before it runs: progress counts how many of them are done. */
      resources?: string[];
    }
  | { time: string; kind: 'event'; event: FormationEvent }
  | { time: string; kind: 'accepted'; state: Record<string, unknown> }
  | { time: string; kind: 'resumed'; pid: number; reason: string }
  /** A line a command on the formation's machines printed (a provisioning run). */
  | { time: string; kind: 'output'; stream: 'stdout' | 'stderr'; line: string }
  | { time: string; kind: 'end'; operation: OperationKind; ok: boolean; status: string; failures: ResourceFailure[]; took: number; exitCode?: number }
  | { time: string; kind: 'error'; operation: OperationKind; code: ErrorCode; message: string; hint?: string };

/** A parameter whose value an operation changes; secret values are masked, `null` where there was or is none. */
export interface ParameterChange {
  name: string;
  from: string | number | boolean | null;
  to: string | number | boolean | null;
  secret: boolean;
}

/** Distributes Omit over the union, so callers pass entries without a time. */
export type WithoutTime<T> = T extends unknown ? Omit<T, 'time'> : never;

/** Append one entry (a single write of one line, so concurrent readers never see half of it). */
export function appendEntry(home: NephoHome, name: string, entry: WithoutTime<JournalEntry>): JournalEntry {
  return appendJournalLine(formationDir(home, name), JOURNAL_FILE, entry) as JournalEntry;
}

/**
 * Append one timed entry to the journal file `file` in `dir` (created,
 * readable by the user only): one write of one line, so that concurrent
 * readers never see half of it. Every journal nepho keeps is written so.
 */
export function appendJournalLine<E extends object>(dir: string, file: string, entry: E): E & { time: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const full = { time: new Date().toISOString(), ...entry };
  appendFileSync(join(dir, file), `${JSON.stringify(full)}\n`, { mode: 0o600 });
  return full;
}

/** The journal's path. */
export function journalPath(home: NephoHome, name: string): string {
  return join(formationDir(home, name), JOURNAL_FILE);
}

/** Entries written after byte `offset`, and the offset to read from next. Only whole lines are returned. */
export function readEntries(home: NephoHome, name: string, offset = 0): { entries: JournalEntry[]; offset: number } {
  return readJournalLines<JournalEntry>(journalPath(home, name), offset);
}

/**
 * The entries of the journal file `path` written after byte `offset`, and
 * the offset to read from next. Only whole lines are returned; a torn line
 * (a crash in the middle of a write) is skipped.
 */
export function readJournalLines<E>(path: string, offset = 0): { entries: E[]; offset: number } {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return { entries: [], offset };
  }
  if (size <= offset) return { entries: [], offset };
  const buffer = Buffer.alloc(size - offset);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  const text = buffer.toString('utf8');
  const end = text.lastIndexOf('\n');
  if (end < 0) return { entries: [], offset };
  const entries: E[] = [];
  for (const line of text.slice(0, end).split('\n')) {
    if (line.trim() === '') continue;
    try {
      entries.push(JSON.parse(line) as E);
    } catch {
      /* a torn line from a crash: skip it */
    }
  }
  return { entries, offset: offset + Buffer.byteLength(text.slice(0, end + 1)) };
}

/** The entries of the latest operation (from its `start` on), and the byte offset after them. */
export function latestOperation(home: NephoHome, name: string): { entries: JournalEntry[]; offset: number } {
  const { entries, offset } = readEntries(home, name);
  let start = -1;
  entries.forEach((e, i) => {
    if (e.kind === 'start') start = i;
  });
  return { entries: start < 0 ? [] : entries.slice(start), offset };
}

/** Whether the latest operation has ended (an `end` or `error` after its `start`). */
export function isFinished(entries: JournalEntry[]): boolean {
  return entries.some((e) => e.kind === 'end' || e.kind === 'error');
}
