// Unit tests of src/providers/cloudformation/aws-config.ts: where the AWS files are, reading and
// updating them in place, finding existing credentials, and the checks on
// what register writes.
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  awsFiles,
  checkAccessKeyId,
  checkProfileName,
  checkRegion,
  checkSecretAccessKey,
  configSection,
  currentRegion,
  findAwsCredentials,
  parseIni,
  profileHasKeys,
  resolveAwsSettings,
  setIniValues,
  writeAwsProfile,
} from '../src/providers/cloudformation/aws-config.js';
import { thrown } from './fixtures/cli.js';
import { tempDir } from './fixtures/paths.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

t.test('the files: AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE, else ~/.aws', async (t) => {
  t.same(awsFiles({ HOME: '/h' }), { credentials: '/h/.aws/credentials', config: '/h/.aws/config' });
  t.same(awsFiles({ HOME: '/h', AWS_SHARED_CREDENTIALS_FILE: '/x/c', AWS_CONFIG_FILE: '/x/f' }), { credentials: '/x/c', config: '/x/f' });
  t.same(
    awsFiles({ HOME: '/h', AWS_SHARED_CREDENTIALS_FILE: '', AWS_CONFIG_FILE: '' }),
    { credentials: '/h/.aws/credentials', config: '/h/.aws/config' },
    'empty means unset',
  );
  t.equal(configSection('default'), 'default');
  t.equal(configSection('work'), 'profile work');
});

t.test('setIniValues changes a section in place and keeps everything else', async (t) => {
  const text = [
    '# my keys',
    '[default]',
    'aws_access_key_id = OLDKEYOLDKEYOLDKEY',
    'aws_secret_access_key=old',
    '',
    '; the work account',
    '[work]',
    'aws_access_key_id = WORKWORKWORKWORK',
    '',
  ].join('\n');
  t.equal(
    setIniValues(text, 'default', { aws_access_key_id: 'NEW', aws_secret_access_key: 'S' }),
    [
      '# my keys',
      '[default]',
      'aws_access_key_id = NEW',
      'aws_secret_access_key = S',
      '',
      '; the work account',
      '[work]',
      'aws_access_key_id = WORKWORKWORKWORK',
      '',
    ].join('\n'),
  );
  t.equal(
    setIniValues(text, 'work', { aws_secret_access_key: 'S' }),
    `${text}aws_secret_access_key = S\n`,
    'a new key goes after the last setting of its section',
  );
  t.equal(
    setIniValues(text, 'default', { region: 'eu-west-1' }).split('\n').slice(0, 5).join('\n'),
    '# my keys\n[default]\naws_access_key_id = OLDKEYOLDKEYOLDKEY\naws_secret_access_key=old\nregion = eu-west-1',
    'not after the comment that introduces the next section',
  );
  t.equal(setIniValues(text, 'new', { a: '1' }), `${text}\n[new]\na = 1\n`, 'a new section at the end, after a blank line');
  t.equal(setIniValues('', 'default', { a: '1' }), '[default]\na = 1\n', 'an empty file');
  t.equal(setIniValues('[default]\na = 1', 'default', { b: '2' }), '[default]\na = 1\nb = 2\n', 'no newline at the end');
});

t.test('setIniValues: nested values, repeated keys and sections, odd spacing, CRLF', async (t) => {
  const nested = '[profile dev]\nregion = us-east-1\ns3 =\n  max_concurrent_requests = 20\n  region = nested\n\n[profile other]\nregion = us-west-2\n';
  t.equal(
    setIniValues(nested, 'profile dev', { region: 'eu-west-1' }),
    '[profile dev]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 20\n  region = nested\n\n[profile other]\nregion = us-west-2\n',
    'an indented line belongs to a nested value and is not the key',
  );
  t.equal(
    setIniValues(nested, 'profile dev', { output: 'json' }),
    '[profile dev]\nregion = us-east-1\ns3 =\n  max_concurrent_requests = 20\n  region = nested\noutput = json\n\n[profile other]\nregion = us-west-2\n',
  );
  t.equal(
    setIniValues('[ profile   dev ]\nREGION = a\nregion = b\n', 'profile dev', { region: 'c' }),
    '[ profile   dev ]\nregion = c\n',
    'the header matched with its blanks collapsed; keys case-insensitively; a repeated key keeps one line',
  );
  t.equal(setIniValues('[a]\nk = 1\n[b]\n[a]\nk = 2\n', 'a', { k: '3' }), '[a]\nk = 3\n[b]\n[a]\n', 'a repeated section keeps one value');
  t.equal(setIniValues('[a]\r\nk = 1\r\n[b]\r\nx = y\r\n', 'b', { x: 'z', w: 'v' }), '[a]\r\nk = 1\r\n[b]\r\nx = z\r\nw = v\r\n', 'CRLF kept');
});

t.test('parseIni reads sections and their top-level keys', async (t) => {
  t.same(parseIni('x = 0\n[default]\nAws_Access_Key_Id = K\n# c\n s3 =\n  a = b\n[profile p] ; note\nregion=r\n'), [
    { name: 'default', values: { aws_access_key_id: 'K' } },
    { name: 'profile p', values: { region: 'r' } },
  ]);
});

t.test('writeAwsProfile writes both files, 0600, in a new 0700 ~/.aws, keeping other profiles', async (t) => {
  const home = tempDir(t);
  const files = awsFiles({ HOME: home });
  writeAwsProfile(files, { profile: 'default', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET, region: 'eu-west-1' });
  t.equal(statSync(join(home, '.aws')).mode & 0o777, 0o700);
  t.equal(statSync(files.credentials).mode & 0o777, 0o600);
  t.equal(statSync(files.config).mode & 0o777, 0o600);
  t.equal(readFileSync(files.credentials, 'utf8'), `[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = ${SECRET}\n`);
  t.equal(readFileSync(files.config, 'utf8'), '[default]\nregion = eu-west-1\n');

  writeAwsProfile(files, { profile: 'work', accessKeyId: 'AKIAWORKWORKWORK0000', secretAccessKey: SECRET, region: 'us-west-2' });
  t.match(
    readFileSync(files.credentials, 'utf8'),
    /^\[default\]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n.*\n\n\[work\]\naws_access_key_id = AKIAWORKWORKWORK0000\n/,
  );
  t.match(readFileSync(files.config, 'utf8'), /^\[default\]\nregion = eu-west-1\n\n\[profile work\]\nregion = us-west-2\n$/);
  t.ok(profileHasKeys(files, 'work'));
  t.notOk(profileHasKeys(files, 'other'));
});

t.test('a credentials file that is a symbolic link is written through the link', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'dotfiles'));
  mkdirSync(join(dir, '.aws'));
  writeFileSync(join(dir, 'dotfiles', 'credentials'), '[old]\naws_access_key_id = OLDOLDOLDOLDOLDOLD\n', { mode: 0o644 });
  symlinkSync(join(dir, 'dotfiles', 'credentials'), join(dir, '.aws', 'credentials'));
  const files = awsFiles({ HOME: dir });
  writeAwsProfile(files, { profile: 'default', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET, region: 'us-east-1' });
  t.ok(statSync(join(dir, '.aws', 'credentials')).isFile());
  t.match(readFileSync(join(dir, 'dotfiles', 'credentials'), 'utf8'), /\[old\][^]*\[default\]/, 'the link target was updated');
  t.equal(statSync(join(dir, 'dotfiles', 'credentials')).mode & 0o777, 0o600, 'and made private');
});

t.test('findAwsCredentials: the environment, the credentials file, the config file', async (t) => {
  const dir = tempDir(t);
  const files = awsFiles({ HOME: dir });
  t.equal(findAwsCredentials({}, files), undefined, 'nothing at all');
  t.equal(findAwsCredentials({ AWS_ACCESS_KEY_ID: 'AKIA' }, files), 'AWS_ACCESS_KEY_ID');
  t.equal(findAwsCredentials({ AWS_ACCESS_KEY_ID: '' }, files), undefined, 'an empty variable is none');
  mkdirSync(join(dir, '.aws'));
  writeFileSync(files.config, '[default]\nregion = us-east-1\n[profile sso]\nsso_session = corp\n');
  t.equal(findAwsCredentials({}, files), `${files.config} [profile sso]`, 'an SSO profile counts');
  writeFileSync(files.credentials, '[ci]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n');
  t.equal(findAwsCredentials({}, files), `${files.credentials} [ci]`);
  writeFileSync(files.credentials, '# nothing\n');
  writeFileSync(files.config, '[default]\nregion = us-east-1\n');
  t.equal(findAwsCredentials({}, files), undefined, 'a region alone is no credential');
});

t.test('currentRegion: environment, then the profile in the config file, then us-east-1', async (t) => {
  const dir = tempDir(t);
  const files = awsFiles({ HOME: dir });
  t.equal(currentRegion({}, files, 'default'), 'us-east-1');
  mkdirSync(join(dir, '.aws'));
  writeFileSync(files.config, '[default]\nregion = eu-central-1\n[profile w]\nregion = ap-south-1\n');
  t.equal(currentRegion({}, files, 'default'), 'eu-central-1');
  t.equal(currentRegion({}, files, 'w'), 'ap-south-1');
  t.equal(currentRegion({ AWS_DEFAULT_REGION: 'us-west-1' }, files, 'w'), 'us-west-1');
  t.equal(currentRegion({ AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'us-west-1' }, files, 'w'), 'us-west-2');
});

t.test('one reader for register and the provider: the region offered is the region resolved', async (t) => {
  const dir = tempDir(t);
  const files = awsFiles({ HOME: dir });
  mkdirSync(join(dir, '.aws'));
  writeFileSync(files.config, '[profile default]\nregion = eu-west-3  # Paris\n[profile team]\nregion=ap-south-1\ns3 =\n  region = nested\n');
  for (const profile of ['default', 'team']) {
    const resolved = resolveAwsSettings(profile === 'default' ? {} : { profile }, { HOME: dir }).region;
    t.equal(currentRegion({}, files, profile), resolved, `profile ${profile}`);
  }
  t.equal(currentRegion({}, files, 'default'), 'eu-west-3', '[profile default] is the default profile, and a comment after a value is no part of it');
  t.equal(currentRegion({}, files, 'team'), 'ap-south-1', "a nested region is not the profile's");

  const unreadable = awsFiles({ HOME: dir, AWS_CONFIG_FILE: join(dir, '.aws') });
  t.match(
    thrown(t, () => currentRegion({}, unreadable, 'default')),
    /\.aws: EISDIR/,
    'register, about to write the file, names it',
  );
  t.match(
    thrown(t, () => resolveAwsSettings({}, { HOME: dir, AWS_CONFIG_FILE: join(dir, '.aws') })),
    /^no AWS region/,
    'the provider takes it as no region, as the SDK does',
  );
});

t.test('checks name the flag and never repeat a secret', async (t) => {
  t.equal(checkAccessKeyId('AKIAIOSFODNN7EXAMPLE'), 'AKIAIOSFODNN7EXAMPLE');
  t.match(
    thrown(t, () => checkAccessKeyId('akiaiosfodnn7example')),
    /^--access-key-id: not an access key id/,
  );
  t.match(
    thrown(t, () => checkAccessKeyId('AKIA')),
    /^--access-key-id/,
  );
  t.equal(checkRegion('us-gov-west-1'), 'us-gov-west-1');
  t.equal(checkRegion('eu-central-2'), 'eu-central-2');
  for (const bad of ['us-east', 'US-EAST-1', 'useast1', 'us-east-1\n[x]', ''])
    t.match(
      thrown(t, () => checkRegion(bad)),
      /^--region /,
      JSON.stringify(bad),
    );
  t.equal(checkProfileName('work.eu_1-a'), 'work.eu_1-a');
  for (const bad of ['a]b', 'a b', '', 'a\nb'])
    t.match(
      thrown(t, () => checkProfileName(bad)),
      /^--profile /,
      JSON.stringify(bad),
    );
  t.equal(checkSecretAccessKey(SECRET, 'stdin'), SECRET);
  for (const bad of ['short', `${SECRET} x`, `${SECRET}\n[default]`, 'x'.repeat(200)]) {
    const message = thrown(t, () => checkSecretAccessKey(bad, '--secret-access-key-stdin'));
    t.match(message, /^--secret-access-key-stdin: not a secret access key/);
    t.notMatch(message, bad.slice(0, 5), 'the value is not in the message');
  }
});
