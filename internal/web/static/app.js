// oncefleet dashboard: the page's own small script (no framework). Every action calls the
// REST API with the session cookie and the CSRF token; the server decides and audits.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const flash = document.getElementById("flash");

  function say(text, kind) {
    if (!flash) return;
    flash.textContent = text;
    flash.className = kind || "ok";
    flash.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  // Problem codes the API answers, as sentences for people; detail adds the specifics.
  const codeText = {
    invalid: "That input was not accepted",
    not_found: "Not found",
    conflict: "That conflicts with the current state",
    unauthorized: "Your session ended; please sign in again",
    forbidden: "Your role does not allow this",
    rate_limited: "Too many requests; wait a moment and retry",
    unavailable: "1NCE cannot be reached right now; try again shortly",
    upstream_error: "1NCE answered with an error",
    upstream_timeout: "1NCE did not answer in time; the action may still happen — check before retrying",
    upstream_rejected: "1NCE refused the request",
    upstream_unsupported: "Your 1NCE account does not offer this",
    outcome_unknown: "It is not known whether 1NCE carried this out; check before retrying",
    idempotency_in_flight: "The same request is still running",
  };

  function problemText(p, status) {
    const head = codeText[p.code] || ("Request failed (" + status + ")");
    let detail = p.detail || "";
    if (p.errors && p.errors.length) detail = p.errors.map((e) => (e.location ? e.location.replace(/^(body|query|path)\./, "") + ": " : "") + e.message).join("; ");
    return detail ? head + ": " + detail : head + ".";
  }

  // api calls /api/v1 and returns the decoded answer, or throws an Error with a readable
  // message built from the problem+json body.
  async function api(method, path, body) {
    const headers = { "Accept": "application/json", "X-CSRF-Token": csrf };
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (method === "POST" && window.crypto && crypto.randomUUID) headers["Idempotency-Key"] = crypto.randomUUID();
    const res = await fetch("/api/v1" + path, init);
    if (res.status === 204) return null;
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      if (res.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); }
      throw new Error(problemText(data || {}, res.status));
    }
    return data;
  }

  // busy disables a control while its request runs, so a double click sends once.
  async function busy(el, fn) {
    if (el) el.disabled = true;
    try { return await fn(); }
    catch (e) { say(e.message, "error"); }
    finally { if (el) el.disabled = false; }
  }

  function reloadSoon(msg) {
    // The message survives the reload, so the person sees what happened.
    sessionStorage.setItem("flash", msg);
    location.reload();
  }
  const kept = sessionStorage.getItem("flash");
  if (kept) { sessionStorage.removeItem("flash"); say(kept, "ok"); }

  // ---- SIM table: selection and bulk actions ----
  const table = document.getElementById("sim-table");
  const bulk = document.getElementById("bulk-form");
  if (table && bulk) {
    const boxes = () => Array.from(table.querySelectorAll("input.select"));
    const all = document.getElementById("select-all");
    const count = document.getElementById("selected-count");
    const run = document.getElementById("bulk-run");
    const action = document.getElementById("bulk-action");
    const label = document.getElementById("bulk-label");
    const every = document.getElementById("bulk-all");
    const update = () => {
      const n = boxes().filter((b) => b.checked).length;
      count.textContent = every?.checked ? "all " + bulk.dataset.total + " matching" : n + " selected";
      run.disabled = n === 0 && !every?.checked;
      if (all) all.checked = n > 0 && n === boxes().length;
    };
    table.addEventListener("change", (e) => {
      if (e.target === all) boxes().forEach((b) => { b.checked = all.checked; });
      update();
    });
    every?.addEventListener("change", update);
    action.addEventListener("change", () => { label.hidden = action.value !== "label"; });
    bulk.addEventListener("submit", (e) => {
      e.preventDefault();
      const iccids = boxes().filter((b) => b.checked).map((b) => b.value);
      // Every matching SIM: the server resolves the filter, the page never lists the fleet.
      const body = every?.checked ? { filter: JSON.parse(bulk.dataset.filter || "{}"), action: action.value } : { iccids, action: action.value };
      if (action.value === "label") body.label = label.value;
      const verb = { enable: "Enable", disable: "Disable", label: "Label" }[action.value];
      const n = every?.checked ? bulk.dataset.total : iccids.length;
      if (!confirm(verb + " " + n + " SIM(s)?")) return;
      busy(run, async () => {
        const res = await api("POST", "/sims/bulk", body);
        const job = (res && res.data) || res;
        location.href = "/jobs/" + encodeURIComponent(job.id);
      });
    });
    update();
  }

  // ---- SIM page actions ----
  const sim = document.getElementById("sim");
  if (sim) {
    const iccid = sim.dataset.iccid;
    const path = "/sims/" + encodeURIComponent(iccid);
    sim.addEventListener("click", (e) => {
      const btn = e.target.closest("[data-sim-action]");
      if (!btn) return;
      const act = btn.dataset.simAction;
      if (act === "enable" || act === "disable") {
        busy(btn, async () => {
          await api("PUT", path, { status: act === "enable" ? "Enabled" : "Disabled" });
          reloadSoon("SIM " + (act === "enable" ? "enabled" : "disabled") + ".");
        });
      } else if (act === "reset") {
        if (!confirm("Reset the connectivity of this SIM? The device reconnects.")) return;
        busy(btn, async () => { await api("POST", path + "/reset"); say("Connectivity reset requested.", "ok"); });
      } else if (act === "topup") {
        openTopUp(btn);
      }
    });
    const labelForm = document.getElementById("label-form");
    labelForm?.addEventListener("submit", (e) => {
      e.preventDefault();
      const btn = labelForm.querySelector("button");
      busy(btn, async () => {
        await api("PUT", path, { label: labelForm.elements.label.value });
        reloadSoon("Label saved.");
      });
    });
    const dlg = document.getElementById("topup-dialog");
    const cost = document.getElementById("topup-cost");
    const confirmBtn = document.getElementById("topup-confirm");
    async function openTopUp(btn) {
      cost.textContent = "Looking up the price…";
      confirmBtn.disabled = true;
      dlg.showModal();
      try {
        const res = await api("GET", "/products/pricing");
        cost.textContent = topUpCost((res && res.data) || []);
      } catch (e) {
        cost.textContent = "The price list cannot be read now (" + e.message + "). 1NCE bills the top-up at your contract's top-up price.";
      }
      confirmBtn.disabled = false;
    }
    dlg?.addEventListener("close", () => {
      if (dlg.returnValue !== "confirm") return;
      const pm = document.getElementById("topup-payment").value;
      busy(document.getElementById("btn-topup"), async () => {
        await api("POST", path + "/topup", pm ? { payment_method: pm } : {});
        reloadSoon("Top-up booked; the quota shows the added volume.");
      });
    });
    const smsForm = document.getElementById("sms-form");
    smsForm?.addEventListener("submit", (e) => {
      e.preventDefault();
      const btn = document.getElementById("sms-send");
      busy(btn, async () => {
        await api("POST", path + "/sms", { payload: smsForm.elements.payload.value, concatenate: smsForm.elements.concatenate.checked });
        reloadSoon("SMS sent.");
      });
    });
  }

  // topUpCost states what a top-up costs from the price list (GET /products/pricing): the
  // entry whose product or charge names a top-up or reload.
  function topUpCost(prices) {
    const isTopUp = (s) => /top.?up|reload|recharge/i.test(s || "");
    for (const p of prices) {
      const charges = (p.one_time_charges || []).concat(p.recurring_charges || []);
      const c = charges.find((c) => isTopUp(c.name)) || (isTopUp(p.name) ? charges[0] : null);
      if (c) return "This top-up costs " + c.amount_net + " " + (c.currency || "") + " (net), billed by 1NCE: " + (p.name || "top-up") + ".";
    }
    const known = prices.map((p) => (p.name || p.product_id) + ": " + (p.one_time_charges || []).map((c) => c.amount_net + " " + c.currency).join(", ")).join("; ");
    return "This top-up costs money: 1NCE bills it at your contract's top-up price, which its price list does not show" + (known ? " (listed: " + known + ")" : "") + ".";
  }

  // ---- Bulk job page: live progress ----
  const job = document.getElementById("job");
  const streamURL = job ? "/events?job=" + encodeURIComponent(job.dataset.job) : "/events";
  // The stream, with its listeners; a server that shuts down says "bye", and the page
  // reconnects a few seconds later (to a replica that is still up during a rolling deploy).
  const handlers = {};
  const on = (name, fn) => { handlers[name] = fn; };
  let live = null;
  function connect() {
    live = new EventSource(streamURL);
    for (const [name, fn] of Object.entries(handlers)) live.addEventListener(name, fn);
    live.addEventListener("bye", () => {
      live.close();
      setTimeout(connect, 3000 + Math.random() * 3000);
    });
  }
  on("job", (e) => {
    if (!job) return;
    const j = JSON.parse(e.data);
    if (j.id !== job.dataset.job) return;
    document.getElementById("job-progress").max = j.total;
    document.getElementById("job-progress").value = j.done;
    document.getElementById("job-done").textContent = j.done;
    document.getElementById("job-ok").textContent = j.succeeded;
    document.getElementById("job-failed").textContent = j.failed;
    document.getElementById("job-state").textContent = j.state;
    if (["done", "failed", "cancelled"].includes(j.state)) {
      document.getElementById("job-finished").hidden = false;
      document.getElementById("job-cancel")?.remove();
      refreshItems();
    }
  });
  // swapTable swaps in the table's rows as the server renders them now, without leaving the
  // page (the ended job's per-SIM results, the alert list when an alert arrives).
  async function swapTable(sel) {
    try {
      const res = await fetch(location.href, { credentials: "same-origin" });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      const fresh = doc.querySelector(sel + " tbody");
      const cur = document.querySelector(sel + " tbody");
      if (fresh && cur) cur.replaceWith(fresh);
    } catch (e) { /* a reload shows them */ }
  }
  const refreshItems = () => swapTable("#job-items");
  on("sim", (e) => {
    const s = JSON.parse(e.data);
    document.querySelectorAll('[data-iccid="' + CSS.escape(s.iccid) + '"]').forEach((row) => {
      if (s.field === "status") {
        const cell = row.querySelector('[data-field="status"]');
        if (cell) cell.innerHTML = "";
        const b = document.createElement("span");
        b.className = "badge " + String(s.new).toLowerCase();
        b.textContent = s.new;
        cell?.appendChild(b);
      }
      if (s.field === "online" || s.online !== undefined) {
        const on = s.online !== undefined ? s.online : s.new === "true";
        const cell = row.querySelector('[data-field="online"]');
        if (cell) cell.textContent = on ? "online" : "offline";
      }
    });
  });
  on("alert", (e) => {
    const a = JSON.parse(e.data);
    say("New alert: " + (a.message || a.rule || "see the alerts page"), "warn");
    const n = document.getElementById("open-alerts");
    if (n && /^\d+$/.test(n.textContent)) n.textContent = String(Number(n.textContent) + 1);
    if (document.getElementById("alerts")) swapTable("#alerts");
  });
  // Only signed-in pages listen (the stream needs the session).
  if (document.getElementById("logout")) connect();
  window.addEventListener("pagehide", () => live?.close());
  document.getElementById("job-cancel")?.addEventListener("click", (e) => {
    busy(e.target, async () => { await api("POST", "/jobs/" + encodeURIComponent(e.target.dataset.jobCancel) + "/cancel"); say("Cancel requested.", "ok"); });
  });

  // ---- Admin: users and keys ----
  const userForm = document.getElementById("user-form");
  userForm?.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = userForm.elements;
    busy(userForm.querySelector("button"), async () => {
      await api("POST", "/users", { email: f.email.value, name: f.name.value || undefined, role: f.role.value, password: f.password.value });
      reloadSoon("User added.");
    });
  });
  document.getElementById("users")?.addEventListener("click", (e) => {
    const btn = e.target.closest("[data-user-toggle]");
    if (!btn) return;
    const disable = btn.dataset.disabled !== "true";
    busy(btn, async () => {
      await api("PUT", "/users/" + encodeURIComponent(btn.dataset.userToggle), { disabled: disable });
      reloadSoon(disable ? "User disabled." : "User enabled.");
    });
  });
  const keyForm = document.getElementById("key-form");
  keyForm?.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = keyForm.elements;
    const body = { name: f.name.value, role: f.role.value };
    if (f.days.value) body.expires_at = new Date(Date.now() + Number(f.days.value) * 86400000).toISOString();
    busy(document.getElementById("key-create"), async () => {
      const res = await api("POST", "/api-keys", body);
      const k = (res && res.data) || res;
      document.getElementById("new-key-value").textContent = k.key;
      document.getElementById("new-key").hidden = false;
      keyForm.reset();
      say("Key created. Copy it now: it is shown only once.", "ok");
    });
  });
  document.getElementById("keys")?.addEventListener("click", (e) => {
    const btn = e.target.closest("[data-key-revoke]");
    if (!btn) return;
    if (!confirm("Revoke the key " + btn.dataset.name + "? Programs using it stop working.")) return;
    busy(btn, async () => {
      await api("DELETE", "/api-keys/" + encodeURIComponent(btn.dataset.keyRevoke));
      reloadSoon("Key revoked.");
    });
  });

  // ---- Alerts: acknowledge, resolve; rules: create, delete ----
  document.getElementById("alerts")?.addEventListener("click", (e) => {
    const btn = e.target.closest("[data-alert-act]");
    if (!btn) return;
    const act = btn.dataset.alertAct;
    busy(btn, async () => {
      await api("POST", "/alerts/" + encodeURIComponent(btn.dataset.id) + "/" + act);
      reloadSoon(act === "acknowledge" ? "Alert acknowledged." : "Alert resolved.");
    });
  });
  const ruleForm = document.getElementById("rule-form");
  if (ruleForm) {
    const kind = ruleForm.elements.kind;
    kind.addEventListener("change", () => { ruleForm.elements.params.value = kind.selectedOptions[0].dataset.example || "{}"; });
    ruleForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const f = ruleForm.elements;
      let params;
      try { params = f.params.value.trim() ? JSON.parse(f.params.value) : {}; }
      catch (err) { say("The parameters are not valid JSON: " + err.message, "error"); return; }
      const body = { name: f.name.value, kind: kind.value, params, cooldown_seconds: Math.round(Number(f.cooldown.value || 0) * 60),
        channel_ids: Array.from(f.channels.selectedOptions).map((o) => o.value) };
      if (f.scope.value) body.scope = { label: f.scope.value };
      busy(document.getElementById("rule-create"), async () => {
        await api("POST", "/alert-rules", body);
        reloadSoon("Rule created.");
      });
    });
  }
  document.getElementById("rules")?.addEventListener("click", (e) => {
    const btn = e.target.closest("[data-rule-delete]");
    if (!btn) return;
    if (!confirm("Delete the rule " + btn.dataset.name + "?")) return;
    busy(btn, async () => {
      await api("DELETE", "/alert-rules/" + encodeURIComponent(btn.dataset.ruleDelete));
      reloadSoon("Rule deleted.");
    });
  });

  // Expose for other pages' scripts.
  window.oncefleet = { api, say, busy, reloadSoon };
})();
