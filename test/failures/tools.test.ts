// test/fixtures/tools.ts: a test that needs a tool which is not installed is
// skipped on a developer's machine and fails under CI. The recorder below
// stands in for tap's Test (it only notes which of skip and fail was called):
// what is under test is the helper's choice, not tap.
import t from 'tap';
import { findTool, requireTool, underCi, type ToolAsserts } from '../fixtures/tools.js';

function recorder(): ToolAsserts & { calls: string[] } {
  const calls: string[] = [];
  return { calls, skip: (m?: string) => void calls.push(`skip: ${m}`), fail: (m?: string) => void calls.push(`fail: ${m}`) };
}

t.test('a missing tool: skipped locally, failed under CI', async (t) => {
  const noPath = { PATH: '/nonexistent' };
  const local = recorder();
  t.equal(requireTool(local, 'ruby', noPath), false);
  t.same(local.calls, ['skip: ruby is not installed (scripts/install-test-deps.sh installs it)']);
  for (const CI of ['true', '1', 'yes']) {
    const ci = recorder();
    t.equal(requireTool(ci, 'cfn-lint', { ...noPath, CI }), false);
    t.match(ci.calls, [/^fail: cfn-lint is not installed .*under CI a missing tool fails the test instead of skipping it$/], `CI=${CI}`);
  }
  for (const CI of ['', '0', 'false']) t.notOk(underCi({ CI }), `CI=${JSON.stringify(CI)} is not CI`);
});

t.test('an installed tool: nothing is skipped or failed', async (t) => {
  const found = recorder();
  t.equal(requireTool(found, 'git', { PATH: process.env.PATH, CI: 'true' }), true);
  t.same(found.calls, []);
  t.match(findTool('git'), /\/git$/);
});
