import { NephoError } from '../../errors.js';
import { findingError, type PatternFinding } from '../findings.js';
import type { FormationSpec, RenderedFile } from '../types.js';
import { templateFindings } from './lint.js';
import { checkSecretsReadable, storedSecrets, userDataWithSecrets, type StoredSecret } from './secrets.js';
import { firstError, isNoEcho, placeOf, readTemplate, type Place, type Template } from './template.js';

/** CloudFormation's limit on a template sent in the request (TemplateBody). */
export const TEMPLATE_BODY_LIMIT = 51_200;
/** CloudFormation's limit on a template passed by S3 URL (TemplateURL). */
export const TEMPLATE_URL_LIMIT = 1_000_000;
/** EC2's limit on user data, before base64. */
export const USER_DATA_LIMIT = 16_384;
/**
 * Secret values at least this long are looked for in the user data, as a last
 * safety net (the provisioner is never given secrets); shorter ones would
 * match ordinary text by chance.
 */
const SECRET_SCAN_MIN = 6;
/**
 * What each secret's ARN may add to the user data once CloudFormation fills
 * it in, for the size check: the text counts `${Resource}` in its place.
 */
const ARN_ALLOWANCE = 256;

/** Where each resource type that can take the bootstrap keeps its user data. */
const USER_DATA_PATH: Record<string, readonly string[]> = {
  'AWS::EC2::Instance': ['Properties', 'UserData'],
  'AWS::EC2::LaunchTemplate': ['Properties', 'LaunchTemplateData', 'UserData'],
  'AWS::AutoScaling::LaunchConfiguration': ['Properties', 'UserData'],
};

/** Everything create sends for one formation, ready before any call to AWS. */
export interface PreparedStack {
  template: Template;
  /** The template document with the bootstrap in place (long-form intrinsics). */
  document: Record<string, unknown>;
  /** What is sent: the document as compact JSON. */
  body: string;
  bytes: number;
  /** Whether the body must travel through S3 (over TemplateBody's limit). */
  viaS3: boolean;
  /**
   * Values for the template's own parameters only, as the strings CloudFormation takes.
   * `previous`: a secret the stack keeps (an update's UsePreviousValue); its value is empty.
   */
  parameters: { key: string; value: string; secret: boolean; previous?: boolean }[];
  capabilities: string[];
  /**
   * The user data given to the marked resources, when there is a bootstrap;
   * `${Resource}` stands where CloudFormation fills in a stored secret's ARN.
   */
  userData?: string;
  /** The secret parameters the bootstrap reads from AWS Secrets Manager at boot. */
  secrets: StoredSecret[];
  /** Logical ids of the resources that received it. */
  bootstrapped: string[];
  /** What does not stop the formation but its author should hear (not strict YAML, AllowedPatterns left to CloudFormation). */
  warnings: PatternFinding[];
}

/**
 * Read the pattern, check it as `cloudlet:lint` does (stopping on the first
 * error, with the same `file:line:col` line), hand the bootstrap to the
 * marked resources, and check sizes and parameters. Every error is a
 * NephoError naming the pattern file (or the bootstrap script) and the
 * resource or field at fault.
 */
export function prepareStack(spec: FormationSpec): PreparedStack {
  const template = readTemplate(spec.patternFile);
  const file = template.file;
  const findings = templateFindings(template);
  const error = firstError(findings);
  if (error) throw findingError(error, 'TEMPLATE_INVALID');
  const document = structuredClone(template.document);
  const resources = document.Resources as Record<string, unknown>;
  const at = placeOf(template);

  const bootstrapped = markedResources(resources, at);
  let userData: string | undefined;
  let secrets: StoredSecret[] = [];
  if (spec.bootstrap) {
    secrets = storedSecrets(spec, resources);
    const { parts, text } = userDataWithSecrets(spec.bootstrap.script, secrets);
    userData = text;
    const scriptFile = spec.bootstrap.scriptFile;
    if (bootstrapped.length === 0) {
      throw new NephoError('BOOTSTRAP_NOWHERE', `${at(['Resources'])}: the scenario has a provisioner, but no resource is marked to receive it`, {
        hint: 'add Metadata: {nepho: {bootstrap: true}} to the AWS::EC2::Instance, LaunchTemplate or LaunchConfiguration that should run it',
      });
    }
    checkSecretsReadable(secrets, resources, bootstrapped, at);
    const size = Buffer.byteLength(userData, 'utf8') + secrets.length * ARN_ALLOWANCE;
    if (size > USER_DATA_LIMIT) {
      throw new NephoError('USER_DATA_TOO_LARGE', `${scriptFile}: the bootstrap is ${size} bytes as user data, over EC2's ${USER_DATA_LIMIT}-byte limit`, {
        hint: 'make the script smaller, for example by downloading the bulk of it at boot',
      });
    }
    for (const [name, p] of Object.entries(spec.parameters)) {
      const value = String(p.value);
      if (p.secret && value.length >= SECRET_SCAN_MIN && userData.includes(value)) {
        throw new NephoError('SECRET_IN_USER_DATA', `${scriptFile}: the user data would contain the value of secret parameter ${name}`, {
          hint: 'secrets must not reach user data; take them out of the script',
        });
      }
    }
    for (const id of bootstrapped) {
      const resource = resources[id] as Record<string, unknown>;
      const path = USER_DATA_PATH[resource.Type as string]!;
      // A plain string (or a Join, for secrets' ARNs) under Fn::Base64: moto cannot base64 an Fn::Sub, and nothing in the script is meant for CloudFormation to expand.
      const value = parts.length === 1 ? parts[0] : { 'Fn::Join': ['', parts] };
      setPath(resource, path, { 'Fn::Base64': value }, `${at(['Resources', id])}: Resources.${id}`);
    }
  }

  const body = JSON.stringify(document);
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > TEMPLATE_URL_LIMIT) {
    throw new NephoError(
      'TEMPLATE_TOO_LARGE',
      `${file}: the template is ${bytes} bytes as sent (JSON${userData ? ', user data included' : ''}), over CloudFormation's ${TEMPLATE_URL_LIMIT}-byte limit`,
      {
        hint: 'split it into nested stacks or make it smaller',
      },
    );
  }

  return {
    template,
    document,
    body,
    bytes,
    viaS3: bytes > TEMPLATE_BODY_LIMIT,
    parameters: stackParameters(spec, document, at),
    capabilities: capabilitiesFor(document),
    ...(userData !== undefined ? { userData } : {}),
    bootstrapped: spec.bootstrap ? bootstrapped : [],
    secrets,
    warnings: [...template.notes, ...findings.filter((f) => f.severity === 'warning')],
  };
}

/** The files create would send, for `--dry-run --out DIR`: the template as sent and the user data. */
export function renderStack(spec: FormationSpec): RenderedFile[] {
  const prepared = prepareStack(spec);
  const files: RenderedFile[] = [{ path: 'template.json', content: prepared.body }];
  if (prepared.userData !== undefined) files.push({ path: 'user-data.sh', content: prepared.userData, mode: 0o755 });
  return files;
}

/** Resources marked `Metadata: {nepho: {bootstrap: true}}`, checked: a type that takes user data, and none set already. */
function markedResources(resources: Record<string, unknown>, at: Place): string[] {
  const marked: string[] = [];
  for (const [id, raw] of Object.entries(resources)) {
    if (id.startsWith('Fn::ForEach::')) continue;
    const resource = raw as Record<string, unknown>;
    const metadata = resource.Metadata;
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) continue;
    const nepho = (metadata as Record<string, unknown>).nepho;
    if (nepho === undefined) continue;
    if (nepho === null || typeof nepho !== 'object' || Array.isArray(nepho)) {
      throw new NephoError(
        'TEMPLATE_INVALID',
        `${at(['Resources', id, 'Metadata', 'nepho'])}: Resources.${id}.Metadata.nepho must be a mapping ({bootstrap: true})`,
      );
    }
    const flag = (nepho as Record<string, unknown>).bootstrap;
    if (flag === undefined || flag === false) continue;
    if (flag !== true)
      throw new NephoError(
        'TEMPLATE_INVALID',
        `${at(['Resources', id, 'Metadata', 'nepho', 'bootstrap'])}: Resources.${id}.Metadata.nepho.bootstrap must be true or false`,
      );
    const type = resource.Type as string;
    const path = USER_DATA_PATH[type];
    if (!path) {
      throw new NephoError(
        'BOOTSTRAP_UNSUPPORTED',
        `${at(['Resources', id])}: Resources.${id} is marked nepho.bootstrap, but a ${type} cannot take user data`,
        {
          hint: `mark an ${Object.keys(USER_DATA_PATH).join(', ')} instead`,
        },
      );
    }
    if (getPath(resource, path) !== undefined) {
      throw new NephoError(
        'BOOTSTRAP_CONFLICT',
        `${at(['Resources', id, ...path])}: Resources.${id}.${path.join('.')} is set, but nepho supplies the user data of resources marked nepho.bootstrap`,
        {
          hint: 'remove UserData from the resource, or its nepho.bootstrap mark',
        },
      );
    }
    marked.push(id);
  }
  return marked;
}

function getPath(object: Record<string, unknown>, path: readonly string[]): unknown {
  let current: unknown = object;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function setPath(object: Record<string, unknown>, path: readonly string[], value: unknown, where: string): void {
  let current = object;
  for (const [i, key] of path.slice(0, -1).entries()) {
    const next = current[key];
    if (next === undefined) current[key] = {};
    else if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      throw new NephoError('TEMPLATE_INVALID', `${where}.${path.slice(0, i + 1).join('.')} must be a mapping`);
    }
    current = current[key] as Record<string, unknown>;
  }
  current[path.at(-1)!] = value;
}

/**
 * The parameters sent: only those the template declares (the scenario's other
 * parameters are for the bootstrap or other providers). A declared parameter
 * with no Default and no value is an error naming it; so is a secret sent to a
 * parameter without NoEcho, which DescribeStacks would show to anyone.
 */
function stackParameters(spec: FormationSpec, document: Record<string, unknown>, at: Place): PreparedStack['parameters'] {
  const declared = document.Parameters;
  if (declared === undefined || declared === null) return [];
  if (typeof declared !== 'object' || Array.isArray(declared)) throw new NephoError('TEMPLATE_INVALID', `${at(['Parameters'])}: Parameters must be a mapping`);
  const sent: PreparedStack['parameters'] = [];
  for (const [key, raw] of Object.entries(declared as Record<string, unknown>)) {
    const decl = (raw ?? {}) as Record<string, unknown>;
    const input = spec.parameters[key];
    if (input === undefined) {
      if (decl.Default === undefined || decl.Default === null) {
        throw new NephoError('PARAMETER_MISSING', `${at(['Parameters', key])}: Parameters.${key} has no Default and no value was given`, {
          hint: `pass -p ${key}=VALUE, or declare it with a default in the scenario`,
        });
      }
      continue;
    }
    if (input.secret && !isNoEcho(decl.NoEcho)) {
      throw new NephoError('SECRET_NOT_NOECHO', `${at(['Parameters', key])}: Parameters.${key} receives a secret but is not NoEcho: true`, {
        hint: `add NoEcho: true to Parameters.${key}, or CloudFormation will show the value to anyone who can describe the stack`,
      });
    }
    sent.push({ key, value: String(input.value), secret: input.secret, ...(input.previous ? { previous: true } : {}) });
  }
  return sent;
}

/**
 * The capabilities the template needs to be accepted: CAPABILITY_IAM for IAM
 * resources (and CAPABILITY_NAMED_IAM when one is given a name),
 * CAPABILITY_AUTO_EXPAND for transforms and macros. Nested stacks and
 * transforms may hold IAM resources nepho cannot see, so they acknowledge IAM too.
 */
export function capabilitiesFor(document: Record<string, unknown>): string[] {
  const caps = new Set<string>();
  const resources = (document.Resources ?? {}) as Record<string, { Type?: unknown; Properties?: Record<string, unknown> }>;
  const NAMED = ['RoleName', 'UserName', 'GroupName', 'ManagedPolicyName', 'InstanceProfileName'];
  let opaque = false;
  for (const resource of Object.values(resources)) {
    const type = typeof resource?.Type === 'string' ? resource.Type : '';
    if (type.startsWith('AWS::IAM::')) {
      caps.add('CAPABILITY_IAM');
      if (NAMED.some((k) => resource.Properties?.[k] !== undefined)) caps.add('CAPABILITY_NAMED_IAM');
    }
    if (type === 'AWS::CloudFormation::Stack' || type.startsWith('AWS::Serverless::')) opaque = true;
  }
  if (document.Transform !== undefined || JSON.stringify(document).includes('"Fn::Transform"')) {
    caps.add('CAPABILITY_AUTO_EXPAND');
    opaque = true;
  }
  if (opaque) {
    caps.add('CAPABILITY_IAM');
    caps.add('CAPABILITY_NAMED_IAM');
  }
  return [...caps].sort();
}
