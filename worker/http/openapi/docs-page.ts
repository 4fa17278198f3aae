/**
 * @module http/openapi/docs-page
 * The /docs page: one self-contained HTML document (inline style and script, no
 * external asset, so it works the same on Node, Deno and Workers with nothing to
 * bundle) that loads /openapi.json and renders every operation — method, path,
 * roles, parameters, request body, each response with its problem codes and
 * examples — with a search box over paths, summaries, roles and codes.
 */

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#fafafa}
header{position:sticky;top:0;background:#10243e;color:#fff;padding:12px 20px;display:flex;gap:16px;align-items:center}
header h1{font-size:18px;margin:0}header input{flex:1;max-width:520px;padding:6px 10px;font-size:15px;border-radius:4px;border:0}
main{max-width:1100px;margin:0 auto;padding:12px 20px}
details{background:#fff;border:1px solid #d8dde3;border-radius:6px;margin:8px 0}
summary{cursor:pointer;padding:8px 12px;display:flex;gap:10px;align-items:baseline}
.m{font:600 12px monospace;text-transform:uppercase;padding:2px 6px;border-radius:3px;color:#fff;min-width:52px;text-align:center}
.get{background:#2f6f3e}.post{background:#1f5fa8}.put{background:#8a5a00}.patch{background:#6b3fa0}.delete{background:#a82a2a}
.p{font-family:monospace}.s{color:#555}.body{padding:4px 16px 12px}
pre{background:#f3f5f7;padding:8px;overflow:auto;max-height:360px;font-size:12px}
code{background:#eef1f4;padding:0 3px;border-radius:3px}table{border-collapse:collapse}td,th{border:1px solid #e2e6ea;padding:3px 8px;text-align:left;vertical-align:top}
h2{margin-top:28px;font-size:16px;text-transform:uppercase;color:#445}
`;

const SCRIPT = `
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const pre = (v) => "<pre>" + esc(JSON.stringify(v, null, 2)) + "</pre>";
function deref(doc, s) {
  if (s && s.$ref) return doc.components.schemas[s.$ref.split("/").pop()] || s;
  return s;
}
function render(doc) {
  const main = document.querySelector("main");
  const byTag = {};
  for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) (byTag[op.tags[0]] ??= []).push({ path, method, op });
  let html = "<p>" + esc(doc.info.description) + "</p><p>Version " + esc(doc.info.version) + " · <a href='/openapi.json'>openapi.json</a></p>";
  for (const [tag, items] of Object.entries(byTag)) {
    html += "<h2>" + esc(tag) + "</h2>";
    for (const { path, method, op } of items) {
      const codes = Object.values(op.responses).flatMap((r) => Object.values(r.content || {}).flatMap((c) => (c.schema && c.schema.allOf ? c.schema.allOf[1].properties.code.enum : [])));
      const hay = [method, path, op.summary, op.description, (op["x-roles"] || []).join(" "), codes.join(" ")].join(" ").toLowerCase();
      html += "<details data-hay='" + esc(hay) + "'><summary><span class='m " + method + "'>" + method + "</span><span class='p'>" + esc(path) + "</span><span class='s'>" + esc(op.summary) + "</span></summary><div class='body'>";
      html += "<p>" + esc(op.description).replace(/\\n\\n/g, "<br>").replace(/\`([^\`]+)\`/g, "<code>$1</code>") + "</p>";
      if (op.parameters) html += "<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>" + op.parameters.map((p) => "<tr><td><code>" + esc(p.name) + "</code></td><td>" + p.in + "</td><td>" + p.required + "</td><td>" + esc(JSON.stringify(p.schema)) + (p.description ? "<br>" + esc(p.description) : "") + "</td></tr>").join("") + "</table>";
      if (op.requestBody) for (const [ct, media] of Object.entries(op.requestBody.content)) {
        html += "<h4>Request body (" + esc(ct) + (op.requestBody.required ? "" : ", optional") + ")</h4>";
        if (media.example !== undefined) html += "<b>Example</b>" + pre(media.example);
        html += "<details><summary>Schema</summary>" + pre(media.schema) + "</details>";
      }
      html += "<h4>Responses</h4>";
      for (const [status, r] of Object.entries(op.responses)) for (const [ct, media] of Object.entries(r.content || {})) {
        html += "<p><b>" + status + "</b> <code>" + esc(ct) + "</code> " + esc(r.description).replace(/\`([^\`]+)\`/g, "<code>$1</code>") + "</p>";
        if (media.example !== undefined && !ct.includes("problem")) html += pre(media.example);
        if (media.schema && !media.schema.allOf) html += "<details><summary>Schema</summary>" + pre(deref(doc, media.schema)) + "</details>";
      }
      html += "</div></details>";
    }
  }
  main.innerHTML = html;
}
const q = document.querySelector("input");
q.addEventListener("input", () => {
  const words = q.value.toLowerCase().split(/\\s+/).filter(Boolean);
  for (const d of document.querySelectorAll("details[data-hay]")) d.hidden = !words.every((w) => d.dataset.hay.includes(w));
});
fetch("/openapi.json").then((r) => r.json()).then(render, (e) => { document.querySelector("main").textContent = "Could not load /openapi.json: " + e; });
`;

/** The page's Content-Security-Policy: only its own inline code, and fetches to its own origin. */
export const DOCS_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'";

/** The /docs HTML. */
export function docsPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Fairgate API</title><style>${STYLE}</style></head><body><header><h1>Fairgate API</h1><input type="search" placeholder="Search paths, summaries, roles, error codes…" aria-label="Search the API"></header><main>Loading…</main><script>${SCRIPT}</script></body></html>`;
}
