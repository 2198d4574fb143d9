'use strict';
// The playground: a chat against this gateway's OpenAI API with the developer's own client
// key, showing how each answer was routed. Plain JS, no build step; Markdown is rendered by
// the vendored marked and sanitised by the vendored DOMPurify before it touches the page.
(() => {
  const KEY_STORE = 'tiermesh.playground.key';
  const ADMIN_STORE = 'tiermesh.playground.admin';
  // Re-rendering the whole Markdown on every chunk would make a long answer freeze the tab:
  // chunks only append text, and the page renders at most once per RENDER_MS.
  const RENDER_MS = 80;

  const $ = (id) => document.getElementById(id);
  const state = $('state');
  const log = $('log');
  const conversation = [];
  let key = sessionStorage.getItem(KEY_STORE) || '';
  let adminKey = sessionStorage.getItem(ADMIN_STORE) || '';
  let running = null;

  marked.setOptions({ gfm: true, breaks: false });
  // Answers may contain anything: no scripts, no inline styles (the policy would refuse them),
  // no forms; links open elsewhere without telling the target where they came from.
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
  });
  const PURIFY = { FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select'],
    FORBID_ATTR: ['style'] };

  function markdown(el, text) {
    el.innerHTML = DOMPurify.sanitize(marked.parse(text), PURIFY);
  }

  function setState(text, bad) {
    state.textContent = text;
    state.classList.toggle('bad', !!bad);
  }

  function authHeaders() {
    return { 'Authorization': 'Bearer ' + key };
  }

  async function loadHints() {
    const r = await fetch('/playground/hints.json');
    const hints = await r.json();
    for (const select of document.querySelectorAll('select[data-hint]')) {
      const values = hints[select.id] || [];
      select.replaceChildren(new Option('(none)', ''), ...values.map((v) => new Option(v, v)));
    }
  }

  async function loadModels() {
    const select = $('model');
    if (!key) {
      setState('enter a client API key');
      return;
    }
    let r;
    try {
      r = await fetch('/v1/models', { headers: authHeaders() });
    } catch (e) {
      setState('cannot reach the gateway: ' + e.message, true);
      return;
    }
    if (!r.ok) {
      setState(await errorText(r), true);
      return;
    }
    const list = await r.json();
    const ids = list.data.map((m) => m.id);
    const current = select.value || 'auto';
    select.replaceChildren(...ids.map((id) => new Option(id, id)));
    select.value = ids.includes(current) ? current : 'auto';
    setState('ready: ' + ids.length + ' models');
    // On a phone the settings fill the screen: fold them once the key works.
    if (window.matchMedia('(max-width: 760px)').matches) {
      $('settings-box').open = false;
    }
  }

  /** The API's own error message (and code), never a stack. */
  async function errorText(r) {
    let message = 'HTTP ' + r.status;
    try {
      const body = await r.json();
      if (body && body.error) {
        message = body.error.message + (body.error.code ? ' (' + body.error.code + ')' : '');
      }
    } catch (ignored) {
      // not JSON: the status says enough
    }
    return message;
  }

  function hintHeaders() {
    const h = {};
    for (const select of document.querySelectorAll('select[data-hint]')) {
      if (select.value) {
        h['X-TierMesh-' + select.dataset.hint] = select.value;
      }
    }
    return h;
  }

  function addUserTurn(text) {
    const li = document.createElement('li');
    li.className = 'turn user';
    const content = document.createElement('div');
    content.className = 'content';
    markdown(content, text);
    li.append(content);
    log.append(li);
  }

  function field(turn, name, value) {
    const dd = turn.querySelector('[data-field="' + name + '"]');
    dd.textContent = value === null || value === undefined || value === '' ? '–' : String(value);
  }

  function routeFromHeaders(turn, h) {
    field(turn, 'tier', h.get('X-TierMesh-Tier'));
    field(turn, 'provider', h.get('X-TierMesh-Provider'));
    field(turn, 'model', h.get('X-TierMesh-Model'));
    field(turn, 'reason', h.get('X-TierMesh-Route-Reason'));
    field(turn, 'attempts', h.get('X-TierMesh-Attempts'));
    field(turn, 'request', h.get('X-Request-Id'));
    if (h.get('X-TierMesh-Cost-USD')) {
      field(turn, 'cost', h.get('X-TierMesh-Cost-USD'));
    }
    if (h.get('X-TierMesh-Budget-Remaining')) {
      field(turn, 'budget', h.get('X-TierMesh-Budget-Remaining'));
    }
  }

  function ms(v) {
    return Math.round(v) + ' ms';
  }

  /** Reads Server-Sent Events from a fetch body; calls onData with each data field's text. */
  async function readEvents(body, onData) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        break;
      }
      buffer += decoder.decode(value, { stream: true });
      buffer = buffer.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.substring(0, end);
        buffer = buffer.substring(end + 2);
        const data = event.split('\n').filter((l) => l.startsWith('data:'))
          .map((l) => l.substring(l.startsWith('data: ') ? 6 : 5)).join('\n');
        if (data && onData(data) === false) {
          await reader.cancel();
          return;
        }
      }
    }
  }

  async function send(text) {
    if (!key) {
      setState('enter a client API key first', true);
      return;
    }
    conversation.push({ role: 'user', content: text });
    addUserTurn(text);
    const turn = $('answer-template').content.firstElementChild.cloneNode(true);
    log.append(turn);
    $('composer').scrollIntoView({ block: 'nearest' });
    const content = turn.querySelector('.content');
    const stream = $('stream').checked;
    const body = JSON.stringify({ model: $('model').value, stream: stream,
      messages: conversation });
    const abort = new AbortController();
    running = abort;
    $('send').disabled = true;
    $('stop').disabled = false;
    const started = performance.now();
    let answer = '';
    let renders = 0;
    let chunks = 0;
    let timer = null;
    let firstToken = null;
    const render = () => {
      timer = null;
      renders++;
      turn.dataset.renders = String(renders);
      markdown(content, answer);
    };
    const finish = (status, message) => {
      if (timer !== null) {
        clearTimeout(timer);
      }
      render();
      if (message) {
        const p = document.createElement('p');
        p.textContent = message;
        content.append(p);
      }
      turn.dataset.status = status;
      turn.dataset.chunks = String(chunks);
      field(turn, 'latency', ms(performance.now() - started));
      if (firstToken !== null) {
        field(turn, 'ttft', ms(firstToken - started));
      }
    };
    const hints = hintHeaders();
    try {
      const r = await fetch('/v1/chat/completions', { method: 'POST', signal: abort.signal,
        headers: Object.assign({ 'Content-Type': 'application/json' }, authHeaders(), hints),
        body: body });
      routeFromHeaders(turn, r.headers);
      const requestId = r.headers.get('X-Request-Id');
      wireWhy(turn, { requestId: requestId, body: body, hints: hints,
        tenant: r.headers.get('X-TierMesh-Tenant') });
      if (!r.ok) {
        conversation.pop();
        finish('error', await errorText(r));
        setState('refused: HTTP ' + r.status, true);
        return;
      }
      turn.dataset.status = 'streaming';
      if (stream) {
        let failed = null;
        await readEvents(r.body, (data) => {
          if (data === '[DONE]') {
            return false;
          }
          const event = JSON.parse(data);
          if (event.error) {
            failed = event.error.message + ' (' + event.error.code + ')';
            return false;
          }
          for (const choice of event.choices || []) {
            const piece = choice.delta && choice.delta.content;
            if (piece) {
              if (firstToken === null) {
                firstToken = performance.now();
              }
              chunks++;
              answer += piece;
              if (timer === null) {
                timer = setTimeout(render, RENDER_MS);
              }
            }
          }
          return true;
        });
        if (failed) {
          conversation.pop();
          finish('error', failed);
          setState('the answer broke off', true);
          return;
        }
      } else {
        const json = await r.json();
        firstToken = performance.now();
        answer = (json.choices[0].message.content || json.choices[0].message.refusal || '');
        chunks = 1;
      }
      conversation.push({ role: 'assistant', content: answer });
      finish('done');
      setState('answered by tier ' + (r.headers.get('X-TierMesh-Tier') || '?'));
      if (stream && requestId) {
        fillServed(turn, requestId, body);
      }
    } catch (e) {
      conversation.pop();
      finish('error', e.name === 'AbortError' ? 'stopped' : 'request failed: ' + e.message);
    } finally {
      running = null;
      $('send').disabled = false;
      $('stop').disabled = true;
    }
  }

  async function explain(requestId, body) {
    return explainAt('/v1/route/explain', authHeaders(), requestId, body);
  }

  /**
   * With the admin key (optional), "why?" asks the operators' explain: it needs no record of
   * the request on this gateway (another gateway may have served it, or the body was large)
   * and also names the rules file and the router's node. It sees the request as sent: the same
   * body, hints and tenant, with the request id pinned for the same split arm and shadow.
   */
  async function adminExplain(req) {
    const headers = Object.assign({ 'Authorization': 'Bearer ' + adminKey }, req.hints);
    if (req.tenant) {
      headers['X-TierMesh-Tenant'] = req.tenant;
    }
    return explainAt('/admin/route/explain', headers, req.requestId, req.body);
  }

  async function explainAt(path, auth, requestId, body) {
    const r = await fetch(path, { method: 'POST',
      headers: Object.assign({ 'Content-Type': 'application/json', 'X-Request-Id': requestId },
        auth), body: body });
    if (!r.ok) {
      throw new Error(await errorText(r));
    }
    return r.json();
  }

  // A stream's headers leave before its cost is known; the own-request explain reports it
  // (the gateway waits for the request's outcome when it is still on its way).
  async function fillServed(turn, requestId, body) {
    try {
      const e = await explain(requestId, body);
      if (e.served) {
        field(turn, 'cost', e.served.cost_usd);
        field(turn, 'budget', e.served.budget_remaining_usd);
      }
    } catch (ignored) {
      // the figures stay blank; "why?" shows the reason if asked
    }
  }

  function wireWhy(turn, req) {
    const button = turn.querySelector('.why');
    const panel = turn.querySelector('.explain');
    if (!req.requestId) {
      return;
    }
    button.disabled = false;
    button.addEventListener('click', async () => {
      if (!panel.hidden) {
        panel.hidden = true;
        return;
      }
      panel.hidden = false;
      panel.textContent = 'asking the router…';
      try {
        showExplain(panel, adminKey ? await adminExplain(req)
          : await explain(req.requestId, req.body));
      } catch (e) {
        panel.textContent = e.message;
      }
    });
  }

  function row(table, cells, cls) {
    const tr = table.insertRow();
    if (cls) {
      tr.className = cls;
    }
    for (const c of cells) {
      tr.insertCell().textContent = c === null || c === undefined ? '–' : String(c);
    }
  }

  function heading(panel, text) {
    const h = document.createElement('h3');
    h.textContent = text;
    panel.append(h);
  }

  function showExplain(panel, e) {
    panel.replaceChildren();
    const summary = document.createElement('p');
    summary.textContent = 'rule ' + e.rule + ' → ' + e.reason
      + (e.localOnly ? ' (tier 1 only)' : '') + '; rules ' + e.rulesVersion
      + (e.rulesSource ? ' from ' + e.rulesSource : '')
      + (e.routerNode ? ', router on node ' + e.routerNode : '');
    panel.append(summary);
    if (e.refusal) {
      const p = document.createElement('p');
      p.className = 'refusal';
      p.textContent = 'refused: ' + e.refusal.message + ' (' + e.refusal.code + ')';
      panel.append(p);
    }
    heading(panel, 'rules checked');
    const checks = document.createElement('table');
    for (const c of e.checks || []) {
      row(checks, [c.index, c.rule, c.why], c.matched ? 'hit' : null);
    }
    panel.append(checks);
    heading(panel, 'chain');
    const chain = document.createElement('table');
    for (const t of e.chain || []) {
      row(chain, ['tier ' + t.tier, t.provider + '/' + t.model, t.reason]);
    }
    panel.append(chain);
    heading(panel, 'facts');
    const facts = document.createElement('table');
    for (const [k, v] of Object.entries(e.facts || {})) {
      row(facts, [k, v]);
    }
    panel.append(facts);
    if ((e.notes || []).length) {
      heading(panel, 'notes');
      const notes = document.createElement('ul');
      for (const n of e.notes) {
        const li = document.createElement('li');
        li.textContent = n;
        notes.append(li);
      }
      panel.append(notes);
    }
  }

  $('key-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    key = $('key').value.trim();
    sessionStorage.setItem(KEY_STORE, key);
    adminKey = $('admin-key').value.trim();
    if (adminKey) {
      sessionStorage.setItem(ADMIN_STORE, adminKey);
    } else {
      sessionStorage.removeItem(ADMIN_STORE);
    }
    loadModels();
  });
  $('composer').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = $('prompt').value.trim();
    if (text && !running) {
      $('prompt').value = '';
      send(text);
    }
  });
  $('prompt').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      $('composer').requestSubmit();
    }
  });
  $('stop').addEventListener('click', () => running && running.abort());
  $('clear').addEventListener('click', () => {
    conversation.length = 0;
    log.replaceChildren();
  });

  (async () => {
    $('key').value = key;
    $('admin-key').value = adminKey;
    await loadHints();
    await loadModels();
  })();
})();
