/**
 * The web page the server shows at `/`: one self-contained HTML document
 * (no build step, nothing fetched from elsewhere) over the same API as every
 * client: the formations with their status, version and latest operation,
 * and an operation's event log, live over the same Server-Sent Events stream
 * (read with fetch, since EventSource cannot send a token). The token is
 * pasted once and kept in the tab's sessionStorage. Viewers only read;
 * operators also get a destroy button.
 */
export const WEB_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nepho server</title>
<style>
  :root { --fg: #1d2327; --muted: #5f6b73; --line: #d9dee2; --accent: #1b5fa8; --bad: #b3261e; --good: #1e7a3c; --warn: #9a6700; }
  body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0; background: #f6f8fa; }
  header { background: #102a43; color: #fff; padding: 12px 24px; display: flex; align-items: center; gap: 16px; }
  header h1 { font-size: 18px; margin: 0; font-weight: 600; }
  header .who { margin-left: auto; font-size: 14px; opacity: .9; }
  main { padding: 20px 24px; max-width: 1200px; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 16px; margin-bottom: 20px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { font-size: 13px; color: var(--muted); font-weight: 600; }
  code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
  .status { font-weight: 600; }
  .status.ok { color: var(--good); } .status.bad { color: var(--bad); } .status.busy { color: var(--warn); }
  button { font: inherit; padding: 5px 12px; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
  button.link { background: none; color: var(--accent); border: none; padding: 0; text-decoration: underline; }
  button.danger { background: #fff; color: var(--bad); border-color: var(--bad); }
  input[type=password] { font: inherit; padding: 5px 8px; width: 28em; max-width: 100%; border: 1px solid var(--line); border-radius: 4px; }
  .error { color: var(--bad); margin-top: 8px; }
  .muted { color: var(--muted); }
  #log { background: #0b1620; color: #d8e1e8; padding: 12px; border-radius: 4px; max-height: 420px; overflow: auto; white-space: pre-wrap; margin: 8px 0 0; }
  #log .e-error { color: #ff8a80; } #log .e-end { color: #9be9a8; } #log .e-notice { color: #9ecbff; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header><h1>nepho server</h1><span class="who" id="who"></span><button id="signout" class="danger" hidden>Sign out</button></header>
<main>
  <section class="card" id="signin">
    <form id="signin-form">
      <label for="token">Paste a token to sign in</label><br>
      <input type="password" id="token" autocomplete="off" placeholder="nepho_..." required>
      <button type="submit">Sign in</button>
    </form>
    <div class="error" id="signin-error" role="alert"></div>
    <p class="muted">An admin makes tokens with <code>nepho server:token:create NAME --role viewer</code>. The token stays in this tab only.</p>
  </section>
  <section class="card" id="formations" hidden>
    <h2>Formations</h2>
    <table>
      <thead><tr><th>Name</th><th>Status</th><th>Cloudlet</th><th>Version</th><th>Last operation</th><th></th></tr></thead>
      <tbody id="rows"></tbody>
    </table>
    <p class="muted" id="empty" hidden>No formations yet.</p>
    <div class="error" id="list-error" role="alert"></div>
  </section>
  <section class="card" id="events" hidden>
    <h2>Operation <code id="op-id"></code> <span id="op-state" class="status"></span></h2>
    <div id="log" aria-live="polite"></div>
  </section>
</main>
<script>
(() => {
  const KEY = 'nepho-token';
  const $ = (id) => document.getElementById(id);
  let me = null;
  let watching = null;

  const token = () => sessionStorage.getItem(KEY);
  const text = (tag, value, cls) => { const el = document.createElement(tag); el.textContent = value == null ? '' : String(value); if (cls) el.className = cls; return el; };
  const statusClass = (s) => /FAILED|ROLLBACK|GONE|errored|failed/.test(s) ? 'bad' : /IN_PROGRESS|REQUESTED|PENDING|running|queued/.test(s) ? 'busy' : 'ok';

  async function api(path, init = {}) {
    const res = await fetch(path, { ...init, headers: { ...(init.headers || {}), authorization: 'Bearer ' + token(), 'content-type': 'application/json' } });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { const err = new Error((body.error && body.error.message) || ('HTTP ' + res.status)); err.status = res.status; throw err; }
    return body;
  }

  function signedOut(message) {
    sessionStorage.removeItem(KEY);
    me = null;
    if (watching) watching.abort();
    $('signin').hidden = false; $('formations').hidden = true; $('events').hidden = true; $('signout').hidden = true;
    $('who').textContent = '';
    $('signin-error').textContent = message || '';
  }

  async function signIn() {
    try {
      me = await api('/v1/whoami');
    } catch (e) {
      return signedOut(e.status === 401 ? 'Token refused (401): it is unknown or revoked.' : 'Could not sign in: ' + e.message);
    }
    $('who').textContent = 'Signed in as ' + me.name + ' (' + me.role + ')';
    $('signin').hidden = true; $('formations').hidden = false; $('signout').hidden = false;
    await refresh();
  }

  async function refresh() {
    if (!me) return;
    let list;
    try {
      list = (await api('/v1/formations')).formations;
      $('list-error').textContent = '';
    } catch (e) {
      if (e.status === 401) return signedOut('Token refused (401): it is unknown or revoked.');
      $('list-error').textContent = 'Could not list formations: ' + e.message;
      return;
    }
    const rows = $('rows');
    rows.replaceChildren();
    $('empty').hidden = list.length > 0;
    for (const f of list) {
      const tr = document.createElement('tr');
      tr.dataset.formation = f.name;
      tr.append(text('td', f.name, 'mono'), text('td', f.status, 'status ' + statusClass(f.status)), text('td', f.cloudlet || ''), text('td', f.version || ''));
      const last = document.createElement('td');
      if (f.lastOperation) {
        const op = f.lastOperation;
        const link = text('button', op.kind + ' ' + op.state, 'link');
        link.addEventListener('click', () => watch(op.id));
        last.append(link, text('div', 'by ' + op.startedBy + ', ' + new Date(op.createdAt).toLocaleString(), 'muted'));
      }
      tr.append(last);
      const actions = document.createElement('td');
      if (me.role !== 'viewer' && f.lastOperation && !['queued', 'running'].includes(f.lastOperation.state) && f.status !== 'PENDING') {
        const destroy = text('button', 'Destroy', 'danger');
        destroy.addEventListener('click', async () => {
          if (!confirm('Destroy formation ' + f.name + '? Everything in it will be deleted.')) return;
          try { const op = await api('/v1/operations', { method: 'POST', body: JSON.stringify({ kind: 'destroy', formation: f.name }) }); watch(op.id); refresh(); }
          catch (e) { $('list-error').textContent = 'Could not destroy ' + f.name + ': ' + e.message; }
        });
        actions.append(destroy);
      }
      tr.append(actions);
      rows.append(tr);
    }
  }

  function show(entry) {
    const time = (entry.time || '').slice(11, 19);
    let line;
    switch (entry.kind) {
      case 'event': line = (entry.event.resource || '') + ' ' + entry.event.status + (entry.event.reason ? ': ' + entry.event.reason : ''); break;
      case 'output': line = entry.line; break;
      case 'start': line = entry.operation + ' started by ' + (entry.by || '?'); break;
      case 'accepted': line = 'accepted by the provider'; break;
      case 'end': line = entry.operation + ' ended: ' + entry.status + (entry.failures && entry.failures.length ? ' (' + entry.failures.map((f) => f.resource + ': ' + f.reason).join('; ') + ')' : ''); break;
      case 'error': line = 'error ' + entry.code + ': ' + entry.message + (entry.hint ? ' (' + entry.hint + ')' : ''); break;
      case 'resumed': line = 'resumed: ' + entry.reason; break;
      default: line = entry.text || JSON.stringify(entry);
    }
    const div = text('div', time + '  ' + line, 'e-' + entry.kind);
    $('log').append(div);
    $('log').scrollTop = $('log').scrollHeight;
  }

  async function watch(id) {
    if (watching) watching.abort();
    const controller = new AbortController();
    watching = controller;
    $('events').hidden = false; $('op-id').textContent = id; $('op-state').textContent = 'following'; $('op-state').className = 'status busy';
    $('log').replaceChildren();
    let last = 0;
    while (!controller.signal.aborted) {
      try {
        const res = await fetch('/v1/operations/' + encodeURIComponent(id) + '/events', { headers: { authorization: 'Bearer ' + token(), 'last-event-id': String(last) }, signal: controller.signal });
        if (res.status === 401) return signedOut('Token refused (401): it is unknown or revoked.');
        if (!res.ok) { $('op-state').textContent = 'HTTP ' + res.status; return; }
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buffer.indexOf('\\n\\n')) >= 0) {
            const frame = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let event = 'message', data = '', eid = null;
            for (const line of frame.split('\\n')) {
              if (line.startsWith('id: ')) eid = Number(line.slice(4));
              else if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            if (eid !== null) last = eid;
            if (!data) continue;
            const payload = JSON.parse(data);
            if (event === 'done') {
              $('op-state').textContent = payload.state; $('op-state').className = 'status ' + statusClass(payload.state);
              refresh();
              return;
            }
            show(payload);
          }
        }
      } catch (e) {
        if (controller.signal.aborted) return;
      }
      // The connection dropped: take up again after the last event seen.
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  $('signin-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(KEY, $('token').value.trim());
    $('token').value = '';
    signIn();
  });
  $('signout').addEventListener('click', () => signedOut(''));
  setInterval(refresh, 10000);
  if (token()) signIn();
})();
</script>
</body>
</html>
`;
