// oncefleet's API docs: renders /openapi.json and lets a reader try an operation with an API
// key kept in this tab's sessionStorage only.
"use strict";

const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
};

const resolve = (doc, s) => {
  for (let i = 0; s && s.$ref && i < 20; i++) {
    s = s.$ref.split("/").slice(1).reduce((o, p) => o && o[p], doc);
  }
  return s || {};
};

// example builds a sample value of a schema, for the request body editor.
const example = (doc, s, depth = 0) => {
  s = resolve(doc, s);
  if (depth > 6) return null;
  if (s.examples && s.examples.length) return s.examples[0];
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  if (s.enum && s.enum.length) return s.enum[0];
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== "null") : s.type;
  switch (t) {
    case "object": {
      const o = {};
      for (const [k, v] of Object.entries(s.properties || {})) {
        if (k === "$schema") continue;
        if ((s.required || []).includes(k) || depth === 0) o[k] = example(doc, v, depth + 1);
      }
      return o;
    }
    case "array": return [example(doc, s.items, depth + 1)];
    case "integer": case "number": return s.minimum || 0;
    case "boolean": return false;
    case "string": return s.format === "date-time" ? new Date().toISOString() : "";
  }
  return null;
};

const keyInput = () => document.getElementById("apikey");

async function tryIt(doc, path, method, op, out) {
  let url = path;
  const query = new URLSearchParams();
  for (const inp of out.querySelectorAll("input[data-in]")) {
    if (!inp.value) continue;
    if (inp.dataset.in === "path") url = url.replace("{" + inp.dataset.name + "}", encodeURIComponent(inp.value));
    if (inp.dataset.in === "query") query.set(inp.dataset.name, inp.value);
  }
  if ([...query].length) url += "?" + query;
  const headers = { Accept: "application/json" };
  const key = keyInput().value.trim();
  if (key) headers["X-API-Key"] = key;
  const init = { method: method.toUpperCase(), headers };
  const body = out.querySelector("textarea");
  if (body && body.value.trim()) {
    headers["Content-Type"] = "application/json";
    init.body = body.value;
  }
  const res = out.querySelector("pre.result");
  res.textContent = "…";
  try {
    const r = await fetch(url, init);
    const text = await r.text();
    let shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ }
    res.textContent = r.status + " " + r.statusText + "\n\n" + shown;
  } catch (e) {
    res.textContent = "request failed: " + e;
  }
}

function render(doc) {
  const main = document.getElementById("ops");
  const toc = document.getElementById("toc");
  main.replaceChildren(el("p", {}, doc.info.description || ""));
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || "Other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([path, method, op]);
    }
  }
  for (const [tag, ops] of byTag) {
    toc.append(el("h2", {}, tag));
    main.append(el("h2", { id: "tag-" + tag }, tag));
    for (const [path, method, op] of ops) {
      const id = op.operationId || method + path;
      toc.append(el("a", { href: "#" + id }, el("span", { class: "method " + method.toUpperCase() }, method.toUpperCase()), op.summary || path));
      const sec = el("section", { class: "op", id });
      sec.append(el("h3", {}, el("span", { class: "method " + method.toUpperCase() }, method.toUpperCase()), el("code", {}, path)));
      if (op.summary) sec.append(el("p", {}, el("strong", {}, op.summary)));
      if (op.description) sec.append(el("p", { class: "muted" }, op.description));
      const params = op.parameters || [];
      if (params.length) {
        const t = el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, "description"), el("th", {}, "value")));
        for (const p of params) {
          const input = el("input", { "data-in": p.in, "data-name": p.name, "aria-label": p.name });
          if (p.in === "header") input.disabled = true;
          t.append(el("tr", {}, el("td", {}, el("code", {}, p.name + (p.required ? " *" : ""))), el("td", {}, p.in), el("td", {}, p.description || ""), el("td", {}, input)));
        }
        sec.append(t);
      }
      const rb = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
      if (rb) {
        sec.append(el("p", {}, "Request body (JSON):"));
        const ta = el("textarea", { "aria-label": "request body" });
        ta.value = JSON.stringify(example(doc, rb.schema), null, 2);
        sec.append(ta);
      }
      const codes = Object.keys(op.responses || {}).join(", ");
      sec.append(el("p", { class: "muted" }, "Responses: " + codes));
      const btn = el("button", { type: "button" }, "Try it");
      btn.addEventListener("click", () => tryIt(doc, path, method, op, sec));
      sec.append(btn, el("pre", { class: "result", "aria-live": "polite" }));
      main.append(sec);
    }
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  const k = keyInput();
  k.value = sessionStorage.getItem("oncefleet-api-key") || "";
  k.addEventListener("change", () => sessionStorage.setItem("oncefleet-api-key", k.value));
  const r = await fetch("/openapi.json");
  render(await r.json());
});
