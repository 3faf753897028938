// The cloudformation provider's register dialogue in-process, with a scripted
// host of the RegisterIo port standing in for the terminal (as the command
// line is one host of it, a test is another): what it asks, in which order,
// what it refuses, and that it writes nothing until everything is answered.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { NephoError } from '../../src/errors.js';
import { cloudformationProvider } from '../../src/providers/cloudformation/index.js';
import type { RegisterIo, RegisterQuestion } from '../../src/providers/types.js';
import { tempDir } from '../fixtures/paths.js';

const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

/** A host that answers questions by id from a script and records what it was asked. */
function scripted(answers: Record<string, string>, options: { confirm?: boolean; stdin?: string; canAsk?: boolean } = {}) {
  const asked: RegisterQuestion[] = [];
  const confirmed: string[] = [];
  const io: RegisterIo = {
    canAsk: options.canAsk ?? true,
    stdinIsTerminal: options.stdin === undefined,
    async ask(question) {
      asked.push(question);
      const answer = answers[question.id];
      if (answer === undefined) throw new Error(`no scripted answer for ${question.id}`);
      return answer === '' ? (question.default ?? '') : answer;
    },
    async confirm(question) {
      confirmed.push(`${question.id}: ${question.text}`);
      return options.confirm ?? false;
    },
    async readStdin(limit) {
      const text = options.stdin ?? '';
      return Buffer.byteLength(text) > limit ? undefined : text;
    },
  };
  return { io, asked, confirmed };
}

function home(): { env: NodeJS.ProcessEnv; credentials: string; config: string } {
  const dir = tempDir(t);
  return { env: { HOME: dir }, credentials: join(dir, '.aws', 'credentials'), config: join(dir, '.aws', 'config') };
}

t.test('asks for the region (offering the current one), the key id and the secret (hidden), then saves', async (t) => {
  const h = home();
  const { io, asked } = scripted({ region: '', 'access-key-id': KEY_ID, 'secret-access-key': SECRET });
  const result = await cloudformationProvider.register!({ flags: {}, env: { ...h.env, AWS_DEFAULT_REGION: 'sa-east-1' } }, io);
  t.same(
    asked.map((q) => [q.id, q.message, q.default, q.secret]),
    [
      ['region', 'AWS region', 'sa-east-1', undefined],
      ['access-key-id', 'AWS access key id', undefined, undefined],
      ['secret-access-key', 'AWS secret access key', undefined, true],
    ],
  );
  t.equal(asked[0]!.validate!('europe'), "region 'europe' is not an AWS region (like us-east-1)", 'a refused answer says why');
  t.equal(asked[0]!.validate!('eu-west-3'), undefined);
  t.notMatch(asked[2]!.validate!('not the secret') ?? '', 'not the secret', 'a refused secret is not repeated');
  t.same(result, { summary: `saved profile default: keys in ${h.credentials}, region sa-east-1 in ${h.config}` });
  t.equal(readFileSync(h.credentials, 'utf8'), `[default]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`);
});

t.test('flags answer their questions; a named profile comes with a notice on how to use it', async (t) => {
  const h = home();
  const { io, asked } = scripted({ 'secret-access-key': SECRET });
  const result = await cloudformationProvider.register!({ flags: { profile: 'work', region: 'eu-north-1', 'access-key-id': KEY_ID }, env: h.env }, io);
  t.same(
    asked.map((q) => q.id),
    ['secret-access-key'],
    'only the secret is asked',
  );
  t.equal(result.notice, 'use it with --profile work, or AWS_PROFILE=work');
  t.equal(readFileSync(h.config, 'utf8'), '[profile work]\nregion = eu-north-1\n');
});

t.test('keys already there: the host is asked first, and a no writes nothing', async (t) => {
  const h = home();
  mkdirSync(join(h.env.HOME!, '.aws'));
  writeFileSync(h.credentials, '[default]\naws_access_key_id = AKIAOLDOLDOLDOLDOLD0\n');
  const { io, asked, confirmed } = scripted({}, { stdin: `${SECRET}\n` });
  const refused = await cloudformationProvider.register!({ flags: { 'access-key-id': KEY_ID, 'secret-access-key-stdin': true }, env: h.env }, io).catch(
    (e: unknown) => e,
  );
  t.type(refused, NephoError);
  t.match(refused, { code: 'CANCELLED', message: 'cancelled; nothing was changed' });
  t.same(confirmed, [`overwrite: Replace the access key of profile default in ${h.credentials}?`]);
  t.same(asked, [], 'nothing asked: the flags and stdin say it all');
  t.equal(readFileSync(h.credentials, 'utf8'), '[default]\naws_access_key_id = AKIAOLDOLDOLDOLDOLD0\n');
  t.notOk(existsSync(h.config));

  const agreed = scripted({}, { stdin: `${SECRET}\n`, confirm: true });
  await cloudformationProvider.register!({ flags: { 'access-key-id': KEY_ID, 'secret-access-key-stdin': true }, env: h.env }, agreed.io);
  t.match(readFileSync(h.credentials, 'utf8'), `aws_access_key_id = ${KEY_ID}`, 'a yes replaces them');
});

t.test('a host that cannot ask, and a secret that would be typed visibly, are refused before anything is read', async (t) => {
  const h = home();
  const mute = scripted({}, { canAsk: false });
  await t.rejects(cloudformationProvider.register!({ flags: {}, env: h.env }, mute.io), { code: 'NO_CREDENTIALS' });
  const visible = scripted({});
  await t.rejects(cloudformationProvider.register!({ flags: { 'access-key-id': KEY_ID, 'secret-access-key-stdin': true }, env: h.env }, visible.io), {
    message: /^--secret-access-key-stdin: stdin is a terminal/,
  });
  const flood = scripted({}, { stdin: 'x'.repeat(5000) });
  await t.rejects(cloudformationProvider.register!({ flags: { 'access-key-id': KEY_ID, 'secret-access-key-stdin': true }, env: h.env }, flood.io), {
    message: /^--secret-access-key-stdin: more than 4096 bytes on stdin/,
  });
  t.notOk(existsSync(join(h.env.HOME!, '.aws')), 'nothing written');
});
