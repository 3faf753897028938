import type { ErrorEntry } from '../../errors.js';

/**
 * Every code only the cloudformation provider throws, with the same rules
 * as the core catalogue (src/errors.ts): a released code is never renamed,
 * removed or given another meaning. NephoError does not look hints up here
 * (the start-up bundle knows no provider), so every place that throws a code
 * with a hint below gives one of its own. Plain data.
 */
export const PROVIDER_ERRORS = {
  ARTIFACTS_BUCKET_FORBIDDEN: {
    meaning: 'the S3 bucket nepho keeps large templates in belongs to another account, or denies access',
  },
  AWS_ACCESS_DENIED: {
    meaning: 'AWS refused a call: the credentials in use lack a permission',
    hint: 'grant the permission the message names, or use other credentials (--profile)',
  },
  AWS_ERROR: {
    meaning: 'AWS refused a call for a reason of its own, given in the message',
  },
  AWS_FILE_UNREADABLE: {
    meaning: 'the AWS credentials or config file exists but cannot be read',
  },
  AWS_FILE_UNWRITABLE: {
    meaning: 'nepho register could not write the AWS credentials or config file',
  },
  AWS_THROTTLED: {
    meaning: 'AWS is throttling requests',
    hint: 'try again in a minute',
  },
  AWS_UNREACHABLE: {
    meaning: 'AWS (or the endpoint AWS_ENDPOINT_URL names) cannot be reached',
    hint: 'check the network connection, or that the endpoint is running',
  },
  BAD_ENDPOINT: {
    meaning: 'AWS_ENDPOINT_URL (or a service-specific one) is not an http:// or https:// URL',
    hint: 'for example http://127.0.0.1:5000',
  },
  BAD_ENVIRONMENT: {
    meaning: 'an environment variable that tunes the provider, such as NEPHO_POLL_INTERVAL_MS, is out of range',
  },
  BAD_REGION: {
    meaning: 'the region given is not an AWS region name',
    hint: 'for example us-east-1 or eu-west-3',
  },
  BOOTSTRAP_CONFLICT: {
    meaning: 'a resource marked nepho.bootstrap already sets the user data nepho would supply',
    hint: 'remove UserData from the resource, or its nepho.bootstrap mark',
  },
  BOOTSTRAP_NOWHERE: {
    meaning: 'the scenario has a provisioner, but no resource of the template is marked to receive it',
    hint: 'add Metadata: {nepho: {bootstrap: true}} to the instance, launch template or launch configuration that should run it',
  },
  BOOTSTRAP_UNSUPPORTED: {
    meaning: 'a resource marked nepho.bootstrap is of a type that cannot take user data',
    hint: 'mark an instance, launch template or launch configuration instead',
  },
  CHANGE_SET_FAILED: {
    meaning: 'CloudFormation could not make the change set an update previews',
  },
  CHANGE_SET_STALE: {
    meaning: 'the previewed change set can no longer be applied (the stack changed since)',
  },
  CREDENTIALS_REJECTED: {
    meaning: 'AWS refused the credentials (wrong, expired or deactivated)',
    hint: 'check or renew them with nepho register',
  },
  DRIFT_DETECTION_FAILED: {
    meaning: "CloudFormation's drift detection failed before it could tell whether anything drifted",
  },
  NO_CREDENTIALS: {
    meaning: 'no AWS credentials were found for the profile in use',
    hint: 'run nepho register to set them up, or pass --profile',
  },
  NO_REGION: {
    meaning: 'no AWS region is given or configured',
    hint: 'pass --region, set AWS_REGION, or save one with nepho register',
  },
  PARAMETER_MISSING: {
    meaning: 'a template parameter has no default and no value was given',
    hint: 'pass -p KEY=VALUE, or declare it with a default in the scenario',
  },
  SECRET_IN_USER_DATA: {
    meaning: "the bootstrap's user data would contain the value of a secret parameter",
    hint: 'take the secret out of the script',
  },
  SECRET_NOT_NOECHO: {
    meaning: 'a template parameter receives a secret but is not NoEcho, so anyone who can describe the stack would see it',
    hint: 'add NoEcho: true to the template parameter',
  },
  SECRET_UNREADABLE: {
    meaning:
      'the template keeps a secret parameter in AWS Secrets Manager for the bootstrap, but a resource that runs the bootstrap has no instance profile to read it with',
    hint: 'give the resource an instance profile whose role may secretsmanager:GetSecretValue on that secret only',
  },
  STACK_BUSY: {
    meaning: 'the stack is in the middle of an operation and cannot be updated now',
  },
  STACK_EXISTS: {
    meaning: "a stack with the formation's name already exists in the region",
    hint: 'nepho formation:create offers what can be done with it',
  },
  STACK_NOT_FOUND: {
    meaning: "the formation's stack does not exist in the region",
    hint: 'it may have been deleted, or live in another region (--region)',
  },
  STACK_NOT_UPDATABLE: {
    meaning: 'the stack is in a state CloudFormation cannot update from (a failed rollback, a failed create, a failed delete)',
  },
  TEMPLATE_INVALID: {
    meaning: 'a pattern is not a valid CloudFormation template (YAML or JSON, with Resources)',
  },
  TEMPLATE_TOO_LARGE: {
    meaning: "the template, user data included, is over CloudFormation's size limit",
    hint: 'split it into nested stacks or make it smaller',
  },
  USER_DATA_TOO_LARGE: {
    meaning: "the bootstrap is over EC2's user data size limit",
    hint: 'make the script smaller, for example by downloading the bulk of it at boot',
  },
} as const satisfies Record<string, ErrorEntry>;
