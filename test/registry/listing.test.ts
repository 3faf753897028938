// The registry's web listing page in a real headless Chromium (Debian's
// chromium driven by playwright-core), served by registry:serve: typing in the
// search box filters the list, the install command shown is the right one, and
// a cloudlet's blueprints are listed with the command that applies them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { nepho, running, spawnNepho, waitFor } from '../fixtures/cli.js';
import { lintCleanFiles } from '../fixtures/cloudlets.js';
import { makeCloudletRepo } from '../fixtures/git.js';
import { tempDir } from '../fixtures/paths.js';
import { openPage } from '../fixtures/browser.js';
import { requireTool } from '../fixtures/tools.js';

const files = lintCleanFiles;

t.test('listing: the search box filters as you type; each cloudlet shows its install command and its blueprints', async (t) => {
  if (!requireTool(t, 'chromium')) return;
  const dir = tempDir(t);
  const home = join(dir, 'home');
  const meta = (name: string, summary: string, keywords: string) => (v: string) =>
    files(name, v, { 'cloudlet.yaml': `name: ${name}\nversion: ${v}\nsummary: ${JSON.stringify(summary)}\nkeywords: [${keywords}]\n` });
  // Only the newest version has blueprints: the listing shows the newest version's.
  const blueprints = (v: string): Record<string, string> =>
    v === '1.0.0'
      ? {}
      : {
          'blueprints/pair.yaml':
            'summary: "the wiki and its <b>twin</b>"\nformations:\n  wiki: {scenario: default}\n  twin: {scenario: default, depends_on: [wiki]}\n',
          'blueprints/solo.yaml': 'formations:\n  wiki: {scenario: default}\n',
        };
  const wiki = makeCloudletRepo(join(dir, 'acme'), 'wiki', ['1.0.0', '1.2.0'], {
    files: (v) => ({ ...meta('wiki', 'a MediaWiki site', 'wiki, php')(v), ...blueprints(v) }),
  });
  const blog = makeCloudletRepo(join(dir, 'acme'), 'blog', ['0.3.0'], { files: meta('blog', 'a static blog', 'static, html') });
  const evil = makeCloudletRepo(join(dir, 'huit'), 'evil', ['1.0.0'], { files: meta('evil', '<img src=x onerror="window.pwned=1">', 'x') });
  const out = join(dir, 'public');
  const built = await nepho(['registry:build', wiki.dir, blog.dir, evil.dir, '--out', out], { home });
  t.equal(built.code, 0, built.stderr);
  const index = JSON.parse(readFileSync(join(dir, 'public', 'index.json'), 'utf8'));
  t.same(
    index.cloudlets['acme/wiki'].blueprints,
    [
      { name: 'pair', summary: 'the wiki and its <b>twin</b>' },
      { name: 'solo', summary: '' },
    ],
    'index.json carries them too',
  );
  t.notOk('blueprints' in index.cloudlets['acme/blog'], 'and has no empty list');

  const child = spawnNepho(['registry:serve', out, '--port', '0'], { home });
  const server = running(child);
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const url = await waitFor(() => /(http:\/\/127\.0\.0\.1:\d+)\/index\.json/.exec(server.stdout())?.[1], 'registry:serve to print its URL');

  const { browser, page, external, errors } = await openPage(t, url);

  const visible = () =>
    page.$$eval('li.cloudlet', (lis) =>
      lis
        .filter((li) => {
          const el = li as unknown as { hidden: boolean; offsetParent: unknown };
          return !el.hidden && el.offsetParent !== null;
        })
        .map((li) => li.getAttribute('data-id')),
    );
  t.same(await visible(), ['acme/blog', 'acme/wiki', 'huit/evil'], 'every cloudlet is listed at first');
  t.equal(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned), undefined, 'cloudlet text is not run as markup');
  t.match(await page.textContent('li[data-id="huit/evil"] .summary'), '<img src=x onerror="window.pwned=1">', 'shown as text');

  const wikiItem = page.locator('li[data-id="acme/wiki"]');
  t.equal(await wikiItem.locator('code.command').textContent(), 'nepho cloudlet:install acme/wiki', 'the install command is the right one');
  t.equal(await wikiItem.locator('button.copy').getAttribute('data-command'), 'nepho cloudlet:install acme/wiki', 'the copy button copies it');
  t.match(await wikiItem.locator('.versions').textContent(), /1\.2\.0, 1\.0\.0/);
  t.match(await wikiItem.locator('.summary').textContent(), 'a MediaWiki site');
  t.same(
    await wikiItem.locator('li.blueprint').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-blueprint'))),
    ['pair', 'solo'],
    "the newest version's blueprints",
  );
  const pair = wikiItem.locator('li.blueprint[data-blueprint="pair"]');
  t.equal(await pair.locator('.blueprint-summary').textContent(), 'the wiki and its <b>twin</b>', 'its summary, as text');
  t.equal(await pair.locator('code.apply').textContent(), 'nepho blueprint:apply acme/wiki/pair --name NAME', 'and the command that applies it');
  t.equal(await page.locator('li[data-id="acme/blog"] li.blueprint').count(), 0, 'a cloudlet without blueprints lists none');

  const search = page.locator('input#search');
  await search.pressSequentially('stat');
  t.same(await visible(), ['acme/blog'], 'typing filters (keyword "static")');
  await search.fill('');
  await search.pressSequentially('MEDIAWIKI');
  t.same(await visible(), ['acme/wiki'], 'case-insensitive, on the summary');
  t.equal(await page.isVisible('#empty'), false);
  await search.pressSequentially('zzz');
  t.same(await visible(), [], 'nothing matches');
  t.equal(await page.isVisible('#empty'), true, 'and the page says so');
  await search.fill('');
  await search.pressSequentially('twin');
  t.same(await visible(), ['acme/wiki'], "by a blueprint's summary");
  await search.fill('');
  await search.pressSequentially('acme');
  t.same(await visible(), ['acme/blog', 'acme/wiki'], 'by owner');
  t.equal(
    await page
      .locator('li.cloudlet:visible code.command')
      .allTextContents()
      .then((a) => a.join('|')),
    'nepho cloudlet:install acme/blog|nepho cloudlet:install acme/wiki',
  );

  t.same(external, [], 'no request leaves the registry');
  t.same(errors, [], 'no script errors');
  await browser.close();
  child.kill('SIGTERM');
  t.equal((await server.done).code, 0);
});
