/**
 * @module console/assets
 * The console's stylesheet and its one progressive-enhancement script, served by the
 * app itself at /console/assets/* on every runtime (they are source text, so every
 * bundler, the Worker's included, carries them: nothing comes from a CDN). Every
 * page works without the script; it only saves a click.
 */
import type { ConsoleApp } from "./types.js";

const CSS = `
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;margin:0;background:#f6f8fa}
a{color:#0b4f9c}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #b35900;outline-offset:2px}
.skip{position:absolute;left:-9999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px 8px;z-index:9}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.chain-ok{border-color:#1a7f37;background:#f2fbf4}.chain-broken{border-color:#cf222e;background:#fff5f5}
header.top{background:#1b1f24;color:#fff;padding:8px 20px;display:flex;flex-wrap:wrap;gap:16px;align-items:center}
header.top .brand{font-weight:700;margin-right:12px;color:#fff}
header.top nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:4px 14px;margin:0;padding:0}
header.top nav a{color:#e6edf3;text-decoration:none;padding:2px 4px;border-radius:3px}
header.top nav a[aria-current=page]{background:#e6edf3;color:#1b1f24}
header.top .who{margin-left:auto;font-size:13px;color:#c9d1d9}
main{max-width:1100px;margin:0 auto;padding:16px 20px 40px;background:#fff;min-height:calc(100vh - 48px)}
h1{font-size:24px;margin:8px 0 12px}h2{font-size:19px;margin:26px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:3px}h3{font-size:16px;margin:16px 0 6px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:14px}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:13px;font-weight:600;background:#eaeef2;color:#24292f;border:1px solid #8c959f}
.badge-active,.badge-pass{background:#dafbe1;color:#0a3622;border-color:#1a7f37}
.badge-paused,.badge-block,.badge-revoked,.badge-rejected{background:#ffebe9;color:#67060c;border-color:#cf222e}
.badge-bypass,.badge-pending,.badge-expired{background:#fff8c5;color:#4d2d00;border-color:#9a6700}
.badge-draft,.badge-skip,.badge-archived{background:#eaeef2;color:#24292f}
.notice{border:2px solid #57606a;border-radius:6px;padding:10px 14px;margin:12px 0}
.notice.error,.notice.block{border-color:#cf222e;background:#fff5f5}.notice.ok,.notice.pass{border-color:#1a7f37;background:#f2fbf4}
.notice.bypass,.notice.skip{border-color:#9a6700;background:#fffbea}
form.inline{display:inline}
label{font-weight:600;display:block;margin:8px 0 2px}
input[type=text],input[type=password],input[type=datetime-local],select,textarea{font:inherit;padding:5px 8px;border:1px solid #8c959f;border-radius:4px;max-width:100%}
input[type=password],input[type=text]{width:32em}textarea{width:100%;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
button{font:inherit;font-weight:600;padding:5px 14px;border-radius:4px;border:1px solid #1b1f24;background:#1b1f24;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1b1f24}button.danger{background:#a40e26;border-color:#a40e26}
.row{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-end}
.meta{color:#57606a;font-size:13px}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
pre{background:#f6f8fa;padding:8px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.diff .add{background:#dafbe1;display:block}.diff .del{background:#ffebe9;display:block}.diff .same{display:block;color:#57606a}
ul.violations li{color:#82071e;font-weight:600}
.chart{max-width:100%;height:auto;display:block;margin:8px 0}
.chart .bar{fill:#1f5fa8}.chart .bar-below{fill:#b42318}.chart .bar-excluded{fill:#98a2b3}
.chart .whisker line{stroke:#101828;stroke-width:1.5}.chart .threshold{fill:#b42318}
.chart .threshold-label{fill:#b42318;font-size:11px}.chart .grid{stroke:#eaecf0}.chart .tick,.chart .value{font-size:11px;fill:#475467}.chart .label{font-size:12px;fill:#1b1f24}
.chart .band{fill:#1f5fa8;fill-opacity:.18}.chart .series{fill:none;stroke:#1f5fa8;stroke-width:2}.chart .point{fill:#1f5fa8}.chart .point-block{fill:#b42318}
.chart .limit{stroke:#b42318;stroke-width:2;stroke-dasharray:6 4}.chart .frame{fill:none;stroke:#d0d7de}
.sign-in{max-width:560px;margin:60px auto;background:#fff;padding:24px 28px;border:1px solid #d0d7de;border-radius:8px}
`;

/** Saves the "Filter" click: a filter select submits its form when changed (the button stays for keyboards and no-script); loads deferred sections. */
const JS = `
document.addEventListener("change", function (e) {
  var t = e.target;
  if (t && t.matches && t.matches("select[data-autosubmit]") && t.form) t.form.requestSubmit();
});
// A section with data-fragment is replaced by the section of the same id on the page it names (the Audit
// log's chain badges: verifying walks every row, so it is its own request and the list does not wait for it).
document.querySelectorAll("[data-fragment]").forEach(function (el) {
  fetch(el.getAttribute("data-fragment"), { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; }).then(function (t) {
    var got = t && new DOMParser().parseFromString(t, "text/html").getElementById(el.id);
    if (got) el.replaceWith(document.adoptNode(got));
  }).catch(function () {});
});
`;

const cacheHeaders = { "cache-control": "public, max-age=3600", "x-content-type-options": "nosniff" };

/** Registers GET /assets/console.css and /assets/console.js on the console app. */
export function registerConsoleAssets(app: ConsoleApp): void {
  app.get("/assets/console.css", (c) => c.body(CSS, 200, { "content-type": "text/css; charset=utf-8", ...cacheHeaders }));
  app.get("/assets/console.js", (c) => c.body(JS, 200, { "content-type": "text/javascript; charset=utf-8", ...cacheHeaders }));
}
