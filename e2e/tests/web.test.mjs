// The web app end to end in a real browser, against a real `daihuo demo`:
// - an anchor pins a product and a viewer's open room page follows without a reload;
// - an anchor starts a flash sale, a viewer buys in it, pays through the sandbox gateway and
//   sees the order;
// - the supplier ships that order and the viewer sees the tracking;
// - screenshots: the live room at phone width and each role's main page.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  DESKTOP, PHONE, api, launchBrowser, screenshot, signedIn, startDemo, token,
} from "./harness.mjs";

/** How long a page may take to show what the server pushed. */
const PUSH_TIMEOUT_MS = 15_000;

describe("daihuo in the browser", () => {
  let demo;
  let browser;
  let session; // the printed anchor's live session (id, items)
  let viewer; // { context, page } of the printed viewer, on a phone
  let anchor; // { context, page } of the printed anchor, on a desktop
  let orderId;

  before(async () => {
    demo = await startDemo(["--traffic", "off"]);
    browser = await launchBrowser();
    const anchorToken = await token(demo.url, demo.logins.anchor);
    const me = await api(demo.url, "GET", "/api/me", anchorToken);
    const sessions = await api(demo.url, "GET", `/api/live-sessions?anchor_id=${me.id}`);
    const live = sessions.items.find((s) => s.status === "live");
    assert.ok(live, "the demo's anchor has a session live now");
    session = await api(demo.url, "GET", `/api/live-sessions/${live.id}`);
    assert.ok(session.items.length >= 2, "the live session sells at least two SKUs");
    viewer = await signedIn(browser, demo.url, demo.logins.viewer, PHONE);
    anchor = await signedIn(browser, demo.url, demo.logins.anchor, DESKTOP);
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  test("an anchor pins a product and the viewer's open room page follows without a reload", async () => {
    const { page } = viewer;
    await page.goto(`/live/${session.session.id}`);
    await page.waitForSelector("#pinned");
    let reloads = 0;
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) reloads += 1;
    });
    const pinnedNow = await page.getAttribute("#pinned", "data-sku-id");
    const target = session.items.find((item) => String(item.sku_id) !== pinnedNow);

    await anchor.page.goto(`/anchor/sessions/${session.session.id}/live`);
    await Promise.all([
      anchor.page.waitForNavigation(),
      anchor.page.click(`button[data-pin-sku="${target.sku_id}"]`),
    ]);

    await page.waitForSelector(`#pinned[data-sku-id="${target.sku_id}"]`, {
      timeout: PUSH_TIMEOUT_MS,
    });
    assert.match(await page.textContent("#pinned"), new RegExp(escape(target.title.slice(0, 8))));
    assert.equal(reloads, 0, "the room page was not reloaded");
  });

  test("a viewer buys in a flash sale and sees the order", async () => {
    const { page } = viewer;
    const item = session.items.find((i) => i.stock_left >= 20) ?? session.items[0];
    await anchor.page.goto(`/anchor/sessions/${session.session.id}/live`);
    const form = anchor.page.locator("#flash-sale-form");
    await form.locator("select[name=sku_id]").selectOption(String(item.sku_id));
    await form.locator("input[name=quantity]").fill("20");
    await form.locator("input[name=starts_in_seconds]").fill("3");
    await form.locator("input[name=per_user_limit]").fill("2");
    await Promise.all([
      anchor.page.waitForNavigation(),
      form.locator("button[type=submit]").click(),
    ]);
    assert.doesNotMatch(await anchor.page.textContent("main"), /flash\.error|出错/);

    // The viewer's page is still the one opened in the test before: the sale arrives live.
    await page.waitForSelector("#flash-sale[data-sale-id]:not([data-sale-id=''])", {
      timeout: PUSH_TIMEOUT_MS,
    });
    await page.waitForSelector("#flash-countdown", { timeout: PUSH_TIMEOUT_MS });
    await screenshot(page, "viewer-live-room-phone");
    await page.waitForSelector("#flash-buy:not([disabled])", { timeout: PUSH_TIMEOUT_MS });
    await page.click("#flash-buy");
    await page.waitForSelector("#buy-sheet", { state: "visible" });
    await screenshot(page, "viewer-buy-sheet-phone");
    await Promise.all([page.waitForURL(/\/sandbox-pay\/pay\//), page.click("#buy-submit")]);

    // The sandbox gateway's own pay page, as a buyer would see their wallet.
    await page.click("#pay-succeed");
    await page.waitForSelector("#return", { timeout: PUSH_TIMEOUT_MS });
    await Promise.all([page.waitForURL(/\/orders\/\d+/), page.click("#return")]);
    orderId = Number(page.url().match(/\/orders\/(\d+)/)[1]);
    // The notification may reach daihuo a moment after the pay page says paid.
    await expectText(page, `/orders/${orderId}`, /已支付|已分仓|paid|routed/i);

    await page.goto("/orders");
    await page.waitForSelector(`[data-order-id="${orderId}"]`);
  });

  test("the supplier ships the order and the viewer sees its tracking", async () => {
    assert.ok(orderId, "the flash-sale test made an order");
    const supplier = await signedIn(browser, demo.url, demo.logins.supplier, DESKTOP);
    const { page } = supplier;
    const shipForm = `form[data-ship="${orderId}"]`;
    // Routing follows the payment notification; give it a moment.
    for (let tries = 0; tries < 20; tries += 1) {
      await page.goto("/supplier/orders");
      if (await page.locator(shipForm).count()) break;
      await page.waitForTimeout(500);
    }
    const form = page.locator(shipForm);
    await form.locator("select[name=carrier]").selectOption({ index: 0 });
    const carrier = await form.locator("select[name=carrier]").inputValue();
    await form.locator("input[name=waybill]").fill(waybillFor(carrier));
    await Promise.all([page.waitForNavigation(), form.locator("button[type=submit]").click()]);
    assert.doesNotMatch(await page.textContent("main"), /invalid_waybill/);

    await expectText(viewer.page, `/orders/${orderId}`, /已发货|shipped/i);
    const events = await viewer.page.locator("#timeline li").count();
    assert.ok(events >= 1, "the tracking timeline shows the shipment");
    await screenshot(viewer.page, "viewer-order-tracking-phone");
    await supplier.context.close();
  });

  test("each role's main page renders, for the docs' screenshots", async () => {
    await viewer.page.goto("/");
    await screenshot(viewer.page, "viewer-home-phone", { fullPage: true });

    await anchor.page.goto("/anchor");
    await screenshot(anchor.page, "anchor-dashboard");
    await anchor.page.goto(`/anchor/sessions/${session.session.id}/live`);
    await screenshot(anchor.page, "anchor-live-control", { fullPage: true });
    await anchor.page.goto("/anchor/selection?q=%E7%A9%BA%E8%B0%83");
    await screenshot(anchor.page, "anchor-selection");

    const supplier = await signedIn(browser, demo.url, demo.logins.supplier, DESKTOP);
    await supplier.page.goto("/supplier");
    await screenshot(supplier.page, "supplier-catalogue");
    await supplier.page.goto("/supplier/orders");
    await screenshot(supplier.page, "supplier-orders");
    await supplier.context.close();

    const operator = await signedIn(browser, demo.url, demo.logins.operator, DESKTOP);
    await operator.page.goto("/operator");
    await screenshot(operator.page, "operator-dashboard", { fullPage: true });
    await operator.page.goto("/operator/review");
    await screenshot(operator.page, "operator-review");
    await operator.context.close();
  });
});

/** Loads `path` until its main text matches `pattern` (at most ~10 s). */
async function expectText(page, path, pattern) {
  let text = "";
  for (let tries = 0; tries < 20; tries += 1) {
    await page.goto(path);
    text = await page.textContent("main");
    if (pattern.test(text)) return;
    await page.waitForTimeout(500);
  }
  assert.match(text, pattern);
}

/** A waybill number in the carrier's format, unique per run (crates/domain/src/waybill.rs). */
function waybillFor(carrier) {
  const digits = (n) => String(Date.now()).padStart(n, "7").slice(-n);
  switch (carrier.toLowerCase()) {
    case "sf": return `SF${digits(13)}`;
    case "jd": return `JDX${digits(12)}`;
    case "zto": return digits(14);
    case "yto": return `YT${digits(13)}`;
    case "sto": return digits(15);
    case "yunda": return digits(15);
    case "ems": return digits(13);
    default: throw new Error(`no waybill format known for carrier ${carrier}`);
  }
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
