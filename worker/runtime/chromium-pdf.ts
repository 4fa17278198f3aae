/**
 * @module runtime/chromium-pdf
 * The PDF port (report/pdf) filled by headless Chromium through playwright-core,
 * for the Node gateway and `fairgate check --out`. One browser per renderer,
 * launched on the first render (a gateway that never prints a PDF never starts
 * one) and relaunched if it dies; every render gets its own browser context
 * with JavaScript off, offline, and every request aborted — the report is
 * self-contained, so nothing may be fetched while it prints. At most
 * `concurrency` renders run at once, the rest wait in order; each render,
 * waiting included, has `timeoutMs` before it is a 503 `pdf_timeout`.
 * playwright-core is loaded with a dynamic import, so the packaged CLI (which
 * leaves it out of its bundle) runs without it.
 */
import { accessSync, constants, statSync } from "node:fs";
import { createRequire } from "node:module";
import type { Browser, BrowserContext } from "playwright-core";
import { AppError } from "../domain/errors.js";
import type { PdfRenderer } from "../report/pdf.js";

/** Chromium flags for a headless, sandbox-less container that must not reach the network on its own. */
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Where Debian, Ubuntu and Chrome packages put the browser; the first executable one is used when no path is configured. */
export const DEFAULT_CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** Where a configured FAIRGATE_CHROMIUM_PATH leads: a browser to use, "off", or why it cannot be used. */
export type ChromiumLocation =
  | { kind: "found"; executablePath: string }
  | { kind: "off"; reason: string }
  | { kind: "invalid"; reason: string };

const isExecutableFile = (p: string): boolean => {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/** True when playwright-core can be loaded from here (resolved, not imported: starting must stay cheap). */
export function playwrightInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve("playwright-core");
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves FAIRGATE_CHROMIUM_PATH: unset → the first of DEFAULT_CHROMIUM_PATHS that is
 * executable (none → off); "off" → off; a path → it must be an executable file and
 * playwright-core must be installed, else "invalid" (a configured renderer that cannot
 * work is a start-up error, not a 503 on the first request).
 */
export function locateChromium(configured: string | undefined): ChromiumLocation {
  if (configured === "off") return { kind: "off", reason: "FAIRGATE_CHROMIUM_PATH=off" };
  if (configured !== undefined) {
    if (!isExecutableFile(configured)) return { kind: "invalid", reason: `${configured} is not an executable file` };
    if (!playwrightInstalled()) return { kind: "invalid", reason: "playwright-core is not installed (npm install playwright-core)" };
    return { kind: "found", executablePath: configured };
  }
  const found = DEFAULT_CHROMIUM_PATHS.find(isExecutableFile);
  if (!found) return { kind: "off", reason: `no Chromium at ${DEFAULT_CHROMIUM_PATHS.join(", ")} (set FAIRGATE_CHROMIUM_PATH)` };
  if (!playwrightInstalled()) return { kind: "off", reason: "playwright-core is not installed (npm install playwright-core)" };
  return { kind: "found", executablePath: found };
}

export interface ChromiumPdfOptions {
  executablePath: string;
  /** Renders at once (each an open page); the rest wait in order. */
  concurrency: number;
  /** One render's budget, waiting for a slot and launching the browser included. */
  timeoutMs: number;
  /** Told why a render failed (the caller gets only the problem code). */
  onError?: (message: string, error: unknown) => void;
}

const timeoutError = (ms: number) => new AppError(503, "pdf_timeout", "PDF rendering timed out", `The report was not rendered within ${ms} ms; retry later.`);
const failedError = () => new AppError(503, "pdf_render_failed", "PDF rendering failed", "The PDF renderer failed; the same report is at report.html.");

/** A renderer owning one lazily launched Chromium; close() it on shutdown. */
export function createChromiumPdfRenderer(opts: ChromiumPdfOptions): PdfRenderer {
  let browser: Promise<Browser> | null = null;
  let closed = false;
  let active = 0;
  const waiting: (() => void)[] = [];

  const acquire = (): Promise<void> => {
    if (active < opts.concurrency) {
      active++;
      return Promise.resolve();
    }
    // The slot is handed over by release(), so `active` stays counted for the waiter.
    return new Promise((ok) => waiting.push(ok));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };

  const launch = (): Promise<Browser> => {
    if (browser) return browser;
    const starting = (async () => {
      const { chromium } = await import("playwright-core");
      const b = await chromium.launch({ executablePath: opts.executablePath, args: CHROMIUM_ARGS, timeout: opts.timeoutMs });
      // A crashed or killed browser is replaced on the next render instead of failing every one after it.
      b.on("disconnected", () => {
        if (browser === starting) browser = null;
      });
      return b;
    })();
    browser = starting;
    starting.catch(() => {
      if (browser === starting) browser = null;
    });
    return starting;
  };

  async function renderInSlot(html: string, state: { timedOut: boolean; context: BrowserContext | null }): Promise<Uint8Array> {
    await acquire();
    try {
      if (state.timedOut || closed) throw failedError();
      const b = await launch();
      const context = await b.newContext({ javaScriptEnabled: false, offline: true });
      state.context = context;
      if (state.timedOut) throw failedError();
      // The report needs nothing from anywhere: any request (a stray URL in a style, a link preload) is refused.
      await context.route("**/*", (route) => route.abort());
      const page = await context.newPage();
      await page.setContent(html, { waitUntil: "load", timeout: opts.timeoutMs });
      const pdf = await page.pdf({ format: "A4", printBackground: true, margin: { top: "14mm", bottom: "14mm", left: "12mm", right: "12mm" } });
      return new Uint8Array(pdf.buffer, pdf.byteOffset, pdf.byteLength);
    } finally {
      await state.context?.close().catch(() => undefined);
      release();
    }
  }

  return {
    async render(html) {
      if (closed) throw failedError();
      const state: { timedOut: boolean; context: BrowserContext | null } = { timedOut: false, context: null };
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_, fail) => {
        timer = setTimeout(() => {
          state.timedOut = true;
          // Closing the context aborts whatever the page is doing, so the slot frees now, not when Chromium is done.
          void state.context?.close().catch(() => undefined);
          fail(timeoutError(opts.timeoutMs));
        }, opts.timeoutMs);
      });
      const work = renderInSlot(html, state);
      // The loser of the race still settles; its rejection is expected, not unhandled.
      work.catch(() => undefined);
      try {
        return await Promise.race([work, deadline]);
      } catch (e) {
        if (e instanceof AppError) throw e;
        opts.onError?.("pdf render failed", e);
        throw failedError();
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      closed = true;
      const b = browser;
      browser = null;
      if (b) await b.then((x) => x.close()).catch(() => undefined);
    },
  };
}
