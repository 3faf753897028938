/**
 * Vagrant's `--machine-readable` output: one record a line,
 * `timestamp,target,type,data...`, where commas inside a field are written
 * `%!(VAGRANT_COMMA)` and newlines and carriage returns as the two characters
 * `\n` and `\r`. Vagrant also prints some plain lines in this mode (the
 * config text after `ssh-config`); they are kept as `raw`.
 */

/** One line of machine-readable output. */
export interface VagrantRecord {
  /** Unix seconds, as Vagrant wrote it. */
  timestamp: number;
  /** The machine the record is about (`default`), empty for the environment. */
  target: string;
  /** `ui`, `state`, `error-exit`, `ssh-config`, `metadata`, ... */
  type: string;
  /** The remaining fields, unescaped. */
  data: string[];
}

/** What one output line was: a record, or a plain line Vagrant printed among them. */
export type VagrantLine = { record: VagrantRecord } | { raw: string };

const RECORD = /^(\d+),([^,]*),([^,]+)(?:,(.*))?$/;

/** Undo Vagrant's escaping of one field. */
export function unescapeField(field: string): string {
  return field
    .replace(/%!\(VAGRANT_COMMA\)/g, ',')
    .replace(/\\n/g, '\n')
    .replace(/\\r/g, '\r');
}

/** Parse one line (without its newline). */
export function parseLine(line: string): VagrantLine {
  const m = RECORD.exec(line.endsWith('\r') ? line.slice(0, -1) : line);
  if (!m) return { raw: line };
  return {
    record: {
      timestamp: Number(m[1]),
      target: unescapeField(m[2]!),
      type: m[3]!,
      data: m[4] === undefined ? [] : m[4].split(',').map(unescapeField),
    },
  };
}

/** Parse a whole output; blank lines are dropped. */
export function parseMachineReadable(text: string): VagrantLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(parseLine);
}

/** The records only. */
export function recordsOf(lines: VagrantLine[]): VagrantRecord[] {
  return lines.flatMap((l) => ('record' in l ? [l.record] : []));
}

/** Splits a stream into lines as chunks arrive, for events reported as they happen. */
export class LineSplitter {
  private rest = '';
  constructor(private readonly onLine: (line: VagrantLine) => void) {}
  /** Feed a chunk of output. */
  push(chunk: string): void {
    const parts = (this.rest + chunk).split('\n');
    this.rest = parts.pop()!;
    for (const p of parts) if (p.trim() !== '') this.onLine(parseLine(p));
  }
  /** The end of the stream: a last line without a newline counts too. */
  end(): void {
    if (this.rest.trim() !== '') this.onLine(parseLine(this.rest));
    this.rest = '';
  }
}

/** Vagrant's failure, from its `error-exit` record. */
export interface VagrantErrorExit {
  /** The Ruby class (`Vagrant::Errors::ProviderNotUsable`). */
  errorClass: string;
  message: string;
}

/** The `error-exit` record of an output, when there is one. */
export function errorExitOf(records: VagrantRecord[]): VagrantErrorExit | undefined {
  const r = records.find((x) => x.type === 'error-exit');
  return r ? { errorClass: r.data[0] ?? '', message: r.data.slice(1).join(',') } : undefined;
}

/** Machine states by target, from `vagrant status` (`{default: 'running'}`). */
export function statesOf(records: VagrantRecord[]): Record<string, string> {
  const states: Record<string, string> = {};
  for (const r of records) if (r.type === 'state' && r.target && r.data[0]) states[r.target] = r.data[0];
  return states;
}

/** The fields of an ssh-config block (`HostName`, `Port`, `User`, `IdentityFile`). */
export interface SshConfig {
  host: string;
  hostName?: string;
  port?: number;
  user?: string;
  identityFile?: string;
}

/** The `ssh-config` records of an output, parsed (one per machine). */
export function sshConfigsOf(records: VagrantRecord[]): SshConfig[] {
  return records.filter((r) => r.type === 'ssh-config' && r.data[0]).map((r) => parseSshConfig(r.data[0]!));
}

/** Parse the text of an ssh_config `Host` block as Vagrant writes it. */
export function parseSshConfig(text: string): SshConfig {
  const config: SshConfig = { host: '' };
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+(.*?)\s*$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    let value = m[2]!;
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (key === 'host') config.host = value;
    else if (key === 'hostname') config.hostName = value;
    else if (key === 'port' && /^\d+$/.test(value)) config.port = Number(value);
    else if (key === 'user') config.user = value;
    else if (key === 'identityfile' && config.identityFile === undefined) config.identityFile = value;
  }
  return config;
}
