// The corpus (test/corpus/README.md): public CloudFormation templates wrapped
// as cloudlets as a new user would wrap them. Each one lints without errors,
// describes its parameters, and dry-runs; and the template formation:create
// would send (--dry-run --out) is, as JSON, exactly what cfn-lint's
// CloudFormation-compatible loader reads from the original file.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import t from 'tap';
import { cfnLintRead, corpusFiles, corpusParameters, HAS_CFN_LINT, inBatches, wrapAsCloudlet } from '../fixtures/corpus.js';
import { nepho, stderrLines } from '../fixtures/cli.js';
import { tempDir } from '../fixtures/paths.js';

// About 35 templates, four runs of nepho each, on a shared machine.
t.setTimeout(900_000);

const TEMPLATES = corpusFiles('cloudformation');

/** PATH without cfn-lint: lint's verdict here is nepho's own (cfn-lint also judges resource properties, which nepho does not). */
const NO_CFN_LINT = {
  PATH: (process.env.PATH ?? '')
    .split(':')
    .filter((p) => !/pyenv|\.local\/bin/.test(p))
    .join(':'),
};

t.test('the corpus covers every kind of template users bring', async (t) => {
  t.ok(TEMPLATES.length >= 25, `${TEMPLATES.length} templates`);
  const text = (f: string) => readFileSync(f, 'utf8');
  const has = (what: string, test: (body: string, file: string) => boolean) =>
    t.ok(
      TEMPLATES.some((f) => test(text(f), f)),
      what,
    );
  has('JSON', (_b, f) => f.endsWith('.json'));
  has('YAML', (_b, f) => f.endsWith('.yaml'));
  has('a VPC', (b) => b.includes('AWS::EC2::VPC'));
  has('a bastion', (_b, f) => f.includes('bastion'));
  has('RDS', (b) => b.includes('AWS::RDS::DBInstance'));
  has('ECS', (b) => b.includes('AWS::ECS::'));
  has('SAM with Transform', (b) => /Transform: AWS::Serverless/.test(b));
  has('Lambda', (b) => b.includes('AWS::Lambda::Function'));
  has('nested stacks', (b) => b.includes('AWS::CloudFormation::Stack'));
  for (const fn of ['EachMemberIn', 'ValueOfAll', 'RefAll', 'Contains', 'EachMemberEquals', 'ValueOf'])
    has(`Rules with ${fn}`, (b) => new RegExp(`(!|Fn::)${fn}\\b`).test(b));
  has('Conditions-heavy (10 or more)', (b) => (/^Conditions:\n((?: {2}.*\n|\n)*)/m.exec(b)?.[1]?.match(/^ {2}\S/gm)?.length ?? 0) >= 10);
  has('YAML that is not strict', (_b, f) => f.includes('loose-yaml'));
  has('Java AllowedPatterns', (b) => b.includes('\\p{') && b.includes('*+'));
});

t.test(
  'every template: lint clean, describe, dry-run, and the template sent is what cfn-lint reads',
  { skip: HAS_CFN_LINT ? false : 'cfn-lint (python3 -m pip install cfn-lint) is needed to compare with' },
  async (t) => {
    const work = tempDir(t, 'nepho-corpus-');
    const home = join(work, 'home');
    const expected = cfnLintRead(TEMPLATES);
    await inBatches(TEMPLATES, 2, async (file) => {
      const name = basename(file);
      const { dir, name: cloudlet } = wrapAsCloudlet(work, file, 'cloudformation');
      const id = `local/${cloudlet}`;
      const installed = await nepho(['cloudlet:install', '--develop', dir], { home });
      t.equal(installed.code, 0, `${name}: installs: ${installed.stderr}`);

      const lint = await nepho(['cloudlet:lint', dir, '-o', 'json'], { home, env: NO_CFN_LINT });
      const problems = JSON.parse(lint.stdout || '[]') as { severity: string; file: string; field: string; message: string }[];
      t.same(
        problems.filter((p) => p.severity === 'error'),
        [],
        `${name}: lints without errors`,
      );
      t.equal(lint.code, 0, `${name}: lint exits 0`);

      const described = await nepho(['scenario:describe', `${id}/default`, '-o', 'json'], { home });
      t.equal(described.code, 0, `${name}: describes: ${described.stderr}`);
      const declared = Object.keys((expected[file] as { Parameters?: object }).Parameters ?? {}).sort();
      const listed = (JSON.parse(described.stdout || '{}').parameters ?? []).map((p: { name: string }) => p.name).sort();
      t.same(listed, declared, `${name}: every template parameter is described`);

      const out = join(work, 'out', cloudlet);
      const dry = await nepho(['formation:create', id, '--dry-run', '--out', out, '-o', 'json', '--no-input', ...corpusParameters(file)], { home });
      t.equal(dry.code, 0, `${name}: dry-runs: ${dry.stderr}`);
      t.same(stderrLines(dry.stderr).errors, [], `${name}: no error line`);
      for (const r of [installed, lint, described, dry]) t.notMatch(r.stdout + r.stderr, /unexpected failure|bug in nepho/, `${name}: no crash`);
      if (dry.code !== 0) return;
      const sent = JSON.parse(readFileSync(join(out, 'template.json'), 'utf8'));
      t.notOk((expected[file] as { __error__?: string }).__error__, `${name}: cfn-lint reads it`);
      // What nepho adds on purpose is the bootstrap on marked resources; no corpus template marks one, so nothing differs.
      t.strictSame(sent, expected[file], `${name}: the template sent is what CloudFormation's parser reads`);
    });
  },
);
