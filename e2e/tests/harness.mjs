// Starts a real `daihuo demo` and a real headless Chromium for the browser tests.
// Nothing is mocked: the demo binary serves the pages, the API, the room WebSocket and the
// sandbox payment gateway on one loopback port.

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");

/** The daihuo binary under test: `DAIHUO_BIN`, else the debug build. */
export const binary = process.env.DAIHUO_BIN ?? path.join(repo, "target", "debug", "daihuo");

/** Where screenshots go: `E2E_SCREENSHOTS`, else target/e2e-screenshots. */
export const screenshots = path.resolve(
  process.env.E2E_SCREENSHOTS ?? path.join(repo, "target", "e2e-screenshots"),
);

/** How long the demo may take to be ready, even on a loaded 2-core machine. */
const READY_TIMEOUT_MS = 120_000;

/**
 * Starts `daihuo demo` on a free loopback port with its own data directory and no traffic
 * simulator (the tests are the only actors, so what they see is what they did).
 * Resolves to { url, logins: {viewer, anchor, supplier, operator}, stop }.
 */
export async function startDemo(extraArgs = []) {
  const dataDir = mkdtempSync(path.join(tmpdir(), "daihuo-e2e-"));
  const args = ["demo", "--listen", "127.0.0.1:0", "--data-dir", path.join(dataDir, "demo"),
    ...extraArgs];
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  const logins = {};
  let output = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`demo not ready in ${READY_TIMEOUT_MS} ms:\n${output}`)),
      READY_TIMEOUT_MS,
    );
    let buffered = "";
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      output += chunk;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        const login = line.match(/^login (\S+) (\S+) (\S+)$/);
        if (login) logins[login[1]] = { username: login[2], password: login[3] };
        const ready = line.match(/^daihuo demo ready at (http:\/\/\S+)$/);
        if (ready) {
          clearTimeout(timer);
          resolve(ready[1]);
        }
      }
    });
    child.stderr.on("data", (chunk) => {
      // Kept for the failure message only; the demo logs JSON lines there.
      output += chunk.toString().slice(0, 2000);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code} before it was ready:\n${output}`));
    });
  });
  for (const role of ["viewer", "anchor", "supplier", "operator"]) {
    if (!logins[role]) throw new Error(`the demo printed no ${role} login:\n${output}`);
  }
  const stop = async () => {
    child.kill("SIGTERM");
    await new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve();
      }, 10_000);
      child.on("exit", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { url, logins, stop };
}

/** Debian's Chromium, headless, with nothing reaching outside loopback. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/** Screen sizes: a 375 px phone for viewers, a desktop for consoles. */
export const PHONE = { viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
export const DESKTOP = { viewport: { width: 1280, height: 860 } };

/** A new browser context signed in through the sign-in page as `login`. */
export async function signedIn(browser, url, login, options = DESKTOP) {
  const context = await browser.newContext({ baseURL: url, locale: "zh-CN", ...options });
  const page = await context.newPage();
  await page.goto("/login");
  await page.fill("input[name=username]", login.username);
  await page.fill("input[name=password]", login.password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  if (page.url().includes("/login")) {
    throw new Error(`signing in as ${login.username} failed: ${await page.textContent("main")}`);
  }
  return { context, page };
}

/** Saves a screenshot of `page` as `name`.png. */
export async function screenshot(page, name, options = {}) {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), ...options });
}

/** JSON API call with a bearer token (set-up and checks only; the pages do the work). */
export async function api(url, method, route, token, body) {
  const response = await fetch(`${url}${route}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return json;
}

/** A bearer token for `login`. */
export async function token(url, login) {
  const grant = await api(url, "POST", "/api/sessions", null, login);
  return grant.token;
}
