import { NephoError } from '../../errors.js';
import { exportSecret, NEWLINE_VARIABLE, splitShebang } from '../../provisioners/shell.js';
import type { FormationSpec } from '../types.js';
import type { Place } from './template.js';

/**
 * A secret parameter the template keeps in AWS Secrets Manager, for the
 * bootstrap to read at boot: an `AWS::SecretsManager::Secret` whose
 * `SecretString` is `!Ref` of the parameter.
 */
export interface StoredSecret {
  /** The parameter (`AdminPassword`): the bootstrap gets it as `NEPHO_<name>`. */
  name: string;
  /** The logical id of the secret resource; its `Ref` is the secret's ARN. */
  resource: string;
  /** The resource's `Condition`, when it has one: without it there is no secret to read. */
  condition?: string;
}

/** A piece of the user data as sent: text, or an intrinsic function CloudFormation fills in (a secret's ARN). */
export type UserDataPart = string | Record<string, unknown>;

/** Where each resource type that can take the bootstrap names its instance profile. */
const PROFILE_PATH: Record<string, readonly string[]> = {
  'AWS::EC2::Instance': ['Properties', 'IamInstanceProfile'],
  'AWS::EC2::LaunchTemplate': ['Properties', 'LaunchTemplateData', 'IamInstanceProfile'],
  'AWS::AutoScaling::LaunchConfiguration': ['Properties', 'IamInstanceProfile'],
};

const isMapping = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The secret parameters of `spec` that the template stores in a secret
 * resource, by the parameter's order in the template's resources. A secret
 * whose `SecretString` is anything but `!Ref PARAMETER` (a JSON document, a
 * generated password) is the template's own business and is not read for
 * the bootstrap.
 */
export function storedSecrets(spec: Pick<FormationSpec, 'parameters'>, resources: Record<string, unknown>): StoredSecret[] {
  const found = new Map<string, StoredSecret>();
  for (const [id, raw] of Object.entries(resources)) {
    if (!isMapping(raw) || raw.Type !== 'AWS::SecretsManager::Secret' || !isMapping(raw.Properties)) continue;
    const value = raw.Properties.SecretString;
    if (!isMapping(value) || Object.keys(value).length !== 1 || typeof value.Ref !== 'string') continue;
    const name = value.Ref;
    if (!spec.parameters[name]?.secret || found.has(name)) continue;
    found.set(name, { name, resource: id, ...(typeof raw.Condition === 'string' ? { condition: raw.Condition } : {}) });
  }
  return [...found.values()];
}

/**
 * Check that every resource receiving the bootstrap can read the stored
 * secrets: it must have an instance profile (whose role the template lets
 * `secretsmanager:GetSecretValue` the secret; nepho cannot see into roles).
 */
export function checkSecretsReadable(stored: readonly StoredSecret[], resources: Record<string, unknown>, bootstrapped: readonly string[], at: Place): void {
  if (stored.length === 0) return;
  for (const id of bootstrapped) {
    const resource = resources[id] as Record<string, unknown>;
    const path = PROFILE_PATH[resource.Type as string]!;
    let profile: unknown = resource;
    for (const key of path) profile = isMapping(profile) ? profile[key] : undefined;
    if (profile !== undefined) continue;
    const first = stored[0]!;
    throw new NephoError(
      'SECRET_UNREADABLE',
      `${at(['Resources', id])}: Resources.${id} runs the bootstrap, which reads secret parameter ${first.name} from Resources.${first.resource} at boot, but has no ${path.at(-1)} to read it with`,
      {
        hint: `give Resources.${id} an instance profile whose role may secretsmanager:GetSecretValue on Resources.${first.resource} only (README: "Secrets")`,
      },
    );
  }
}

/**
 * The user data for `script` with the stored secrets read before it: each
 * one fetched at boot with the AWS CLI (`aws secretsmanager
 * get-secret-value`, the instance's role for credentials, a few tries while
 * the role's credentials reach the instance) into `NEPHO_<Name>`, unless it
 * is already set, failures going to the bootstrap's log and ending the boot
 * script. The user data names each secret by its ARN, which CloudFormation
 * fills in (`Ref`), never by its value. Returned as pieces for `Fn::Join`,
 * and as text with `${Resource}` in place of each ARN, for people.
 */
export function userDataWithSecrets(script: string, stored: readonly StoredSecret[]): { parts: UserDataPart[]; text: string } {
  if (stored.length === 0) return { parts: [script], text: script };
  const { shebang, rest } = splitShebang(script);
  const parts: UserDataPart[] = [
    shebang +
      [
        '# Added by nepho: secret parameters, which the stack keeps in AWS Secrets Manager, read at boot',
        "# with the instance's role into NEPHO_<Name>. This user data holds where they are, never what.",
        '{',
        NEWLINE_VARIABLE,
        'nepho_secret() {',
        '  if ! command -v aws >/dev/null 2>&1; then',
        '    echo "nepho: the AWS CLI (aws) is needed on this machine to read secret parameter $1 from AWS Secrets Manager" >&2',
        '    return 1',
        '  fi',
        '  nepho_region=${2#arn:*:secretsmanager:}',
        '  nepho_region=${nepho_region%%:*}',
        '  nepho_try=1',
        '  until aws secretsmanager get-secret-value --region "$nepho_region" --secret-id "$2" --query SecretString --output text; do',
        '    [ "$nepho_try" -lt 5 ] || return 1',
        '    sleep $((nepho_try * 3))',
        '    nepho_try=$((nepho_try + 1))',
        '  done',
        '}',
        '',
      ].join('\n'),
  ];
  let text = parts[0] as string;
  for (const secret of stored) {
    const arn = secret.condition ? { 'Fn::If': [secret.condition, { Ref: secret.resource }, ''] } : { Ref: secret.resource };
    const fetch = exportSecret(
      secret.name,
      `nepho_secret ${secret.name} "$nepho_arn"`,
      `nepho: could not read secret parameter ${secret.name} from AWS Secrets Manager`,
      true,
    );
    const after = ["'", `if [ -n "$nepho_arn" ] && [ -z "\${NEPHO_${secret.name}+set}" ]; then`, ...fetch.map((l) => `  ${l}`), 'fi', ''].join('\n');
    parts.push("nepho_arn='", arn, after);
    text += `nepho_arn='\${${secret.resource}}${after}`;
  }
  const end = '} 2>>"${NEPHO_BOOTSTRAP_LOG:-/var/log/nepho-bootstrap.log}"\n';
  parts.push(`${end}${rest}`);
  text += `${end}${rest}`;
  // Fn::Join wants its pieces as they are; neighbouring strings are joined here to keep it short.
  const joined: UserDataPart[] = [];
  for (const part of parts) {
    const last = joined.at(-1);
    if (typeof part === 'string' && typeof last === 'string') joined[joined.length - 1] = last + part;
    else joined.push(part);
  }
  return { parts: joined, text };
}
