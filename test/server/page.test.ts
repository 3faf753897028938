// The server's web page in a real headless Chromium (Debian's chromium driven
// by playwright-core), served by `nepho server` on the embedded database over
// moto: a wrong token is refused with a 401 said on the page (and not kept);
// a viewer sees the formations with status, version and latest operation and
// no button that changes anything; an operation's log on the page receives a
// live event (the end of a create released only once the page is watching).
// With NEPHO_SCREENSHOT=FILE set, the page as a viewer sees it is saved there
// (docs/server-page.png was made so).
import t from 'tap';
import { releaseGate, startMoto } from '../fixtures/aws.js';
import { waitFor } from '../fixtures/cli.js';
import { api, makeToken, queueCreate, queueRegistry, readEvents, runToEnd, serverHome, startServer, type Sse } from '../fixtures/server.js';
import { openPage } from '../fixtures/browser.js';
import { requireTool } from '../fixtures/tools.js';

t.test('the web page: 401 for a wrong token, the formations list, a live event', async (t) => {
  if (!requireTool(t, 'chromium')) return;
  const moto = await startMoto(t);
  const { registry, commit } = await queueRegistry(t);
  const home = serverHome(t, registry);
  const deployer = await makeToken(home, 'deployer', 'operator', undefined);
  const viewer = await makeToken(home, 'watcher', 'viewer', undefined);
  const server = await startServer(t, { home, env: moto.env });
  const { url } = server;
  const create = (formation: string, scenario: string) => queueCreate(commit, formation, scenario);
  const done = await runToEnd(url, deployer, create('orders', 'default'));
  t.equal(done.operation.state, 'succeeded', JSON.stringify(done.operation.result));

  const { browser, page, external, errors } = await openPage(t, url, { viewport: { width: 1100, height: 640 } });

  await t.test('a wrong token: a 401 said on the page, the token not kept', async (t) => {
    await page.fill('#token', 'nepho_wrong-token');
    await page.click('#signin-form button[type=submit]');
    await page.waitForFunction(() => document.getElementById('signin-error')!.textContent !== '');
    t.match(await page.textContent('#signin-error'), /401/);
    t.equal(await page.isVisible('#formations'), false, 'no formations shown');
    t.equal(await page.evaluate(() => sessionStorage.getItem('nepho-token')), null, 'the refused token is not kept');
  });

  await t.test('a viewer: the formations with status, version and latest operation, nothing to press', async (t) => {
    await page.fill('#token', viewer);
    await page.click('#signin-form button[type=submit]');
    const row = page.locator('tr[data-formation="orders"]');
    await row.waitFor();
    t.match(await page.textContent('#who'), 'watcher (viewer)');
    const cells = await row.locator('td').allTextContents();
    t.equal(cells[0], 'orders');
    t.equal(cells[1], 'CREATE_COMPLETE');
    t.equal(cells[2], 'acme/queue');
    t.equal(cells[3], '1.0.0');
    t.match(cells[4], /^create succeeded\s*by deployer/);
    t.equal(await page.locator('button.danger:not(#signout)').count(), 0, 'no destroy button for a viewer');
  });

  await t.test("an operation's log: an event arrives live", async (t) => {
    const posted = await api(url, 'POST', '/v1/operations', deployer, create('billing', 'gated'));
    t.equal(posted.status, 202);
    const seen: Sse[] = [];
    const following = readEvents(url, posted.body.id, deployer, { onEvent: (e) => seen.push(e) });
    const accepted = await waitFor(() => seen.find((e) => e.event === 'accepted'), 'the provider to accept the create', 60_000);
    await page.reload();
    const link = page.locator('tr[data-formation="billing"] button.link');
    await link.waitFor();
    t.match(await link.textContent(), /^create (running|queued)$/);
    await link.click();
    await page.locator('#log .e-accepted').waitFor();
    t.equal(await page.textContent('#op-id'), posted.body.id);
    t.equal(await page.textContent('#op-state'), 'following');
    t.equal(await page.locator('#log .e-end').count(), 0, 'the create has not ended yet');
    await releaseGate(moto.endpoint, accepted.data.state.stackId as string);
    await page.locator('#log .e-end').waitFor({ timeout: 60_000 });
    t.match(await page.textContent('#log .e-end'), /create ended: CREATE_COMPLETE/, 'the end arrived on the open stream');
    await page.waitForFunction(() => document.getElementById('op-state')!.textContent === 'succeeded');
    await following;
    await page.locator('tr[data-formation="billing"] td.status', { hasText: 'CREATE_COMPLETE' }).waitFor();
    if (process.env.NEPHO_SCREENSHOT) await page.screenshot({ path: process.env.NEPHO_SCREENSHOT, fullPage: true });
  });

  t.same(external, [], 'no request leaves the server');
  t.same(errors, [], 'no script errors');
  await browser.close();
  t.equal(await server.stop(), 0);
});
