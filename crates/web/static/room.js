// The live room's script. It watches the room over the API's public WebSocket (Server-Sent
// Events when the WebSocket will not open), applies frames as docs/ROOMS.md says, resumes
// from the last (epoch, offset) after a drop, and posts comments and likes to this page's own
// routes with the page's CSRF token (the session cookie is HttpOnly: no bearer token here).
// The buy buttons are GET forms that work without it; with it, they open the buy sheet in
// place. Hand-written, no libraries.
(() => {
  "use strict";

  const room = document.getElementById("room");
  if (!room) return;

  /** Comments kept on the page; older ones are dropped from the top. */
  const COMMENTS_SHOWN = 100;
  /** Waits between reconnects: doubling from the first to the last. */
  const RECONNECT_FIRST_MS = 1000;
  const RECONNECT_LAST_MS = 15000;
  /** WebSockets that never opened before falling back to Server-Sent Events. */
  const WEBSOCKET_TRIES = 2;
  /** Taps gathered into one like post, and the most one post carries (the server's cap). */
  const LIKE_GATHER_MS = 400;
  const LIKES_PER_POST = 100;
  /** A keep-alive well inside the server's 120 s idle limit. */
  const PING_EVERY_MS = 30000;
  /** How often the flash-sale countdown is redrawn. */
  const TICK_MS = 250;

  const $ = (id) => document.getElementById(id);
  const sessionId = room.dataset.sessionId;
  const viewer = room.dataset.viewer; // "buyer", "signed-in" or "" (anonymous)
  const userId = Number(room.dataset.userId || 0);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const english = document.documentElement.lang === "en";
  const t = (zh, en) => (english ? en : zh);

  let sessionStatus = room.dataset.sessionStatus;
  let shelf = JSON.parse($("shelf").dataset.items || "[]");
  let sale = null; // the room's flash sale, as the last frame said
  let saleReceivedAt = 0; // performance.now() when `sale` arrived
  let position = null; // {epoch, offset} of the last event applied
  let finished = sessionStatus === "ended"; // the session is over: no (more) connecting

  // ---- building the page's pieces ----

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  function yuan(fen) {
    const sign = fen < 0 ? "-" : "";
    const abs = Math.abs(fen);
    return `${sign}¥${Math.floor(abs / 100).toLocaleString("en-US")}.${String(abs % 100).padStart(2, "0")}`;
  }

  function clock(ms) {
    const seconds = Math.ceil(Math.max(0, ms) / 1000);
    const h = Math.floor(seconds / 3600);
    const mm = String(Math.floor(seconds / 60) % 60).padStart(2, "0");
    const ss = String(seconds % 60).padStart(2, "0");
    return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
  }

  const stockText = (left) => `${t("剩", "left: ")}${left}${t(" 件", "")}`;
  const titleOf = (skuId) => (shelf.find((item) => item.sku_id === skuId) || {}).title || "";

  function buyButton(skuId, stockLeft) {
    const soldOut = stockLeft <= 0;
    return el("form", { class: "buy-open", method: "get", action: `/live/${sessionId}/buy` },
      el("input", { type: "hidden", name: "sku_id", value: skuId }),
      el("button", { class: "primary", type: "submit", disabled: soldOut || sessionStatus !== "live" },
        soldOut ? t("已售罄", "Sold out") : t("购买", "Buy")));
  }

  function prices(item) {
    return [
      el("span", { class: "price" }, yuan(item.live_price_fen)), " ",
      item.pool_price_fen > item.live_price_fen ? el("span", { class: "strike" }, yuan(item.pool_price_fen)) : null,
    ];
  }

  function renderPinned(product) {
    const box = $("pinned");
    box.dataset.skuId = product ? String(product.sku_id) : "";
    if (!product) {
      box.replaceChildren(el("span", { class: "muted" }, t("主播暂未讲解商品", "Nothing is being presented")));
      return;
    }
    // replaceChildren, unlike el(), would show a null child as the text "null".
    box.replaceChildren(...[
      product.image_url ? el("img", { src: product.image_url, alt: "" }) : null,
      el("div", { class: "grow" },
        el("div", null, el("span", { class: "badge live" }, t("讲解中", "Now showing")), " ",
          el("span", { class: "title" }, product.title)),
        el("div", null, ...prices(product), " ", el("span", { class: "muted" }, stockText(product.stock_left)))),
      buyButton(product.sku_id, product.stock_left),
    ].filter((child) => child !== null));
  }

  function renderShelf() {
    $("shelf-items").replaceChildren(...shelf.map((item) =>
      el("li", { "data-sku-id": item.sku_id },
        el("span", { class: "position" }, item.position + 1),
        item.image_url ? el("img", { src: item.image_url, alt: "" }) : null,
        el("div", { class: "grow" },
          el("div", { class: "title" }, item.title),
          el("div", { class: "muted" }, item.brand),
          el("div", null, ...prices(item)),
          el("div", { class: "muted stock" }, stockText(item.stock_left))),
        buyButton(item.sku_id, item.stock_left))));
    $("shelf-count").textContent = shelf.length;
    document.querySelector("#shelf-open .count").textContent = shelf.length;
  }

  // ---- the flash sale ----

  const STAGES = {
    announced: () => t("即将开抢", "Opens soon"),
    counting_down: () => t("倒计时", "Counting down"),
    started: () => t("抢购中", "On now"),
    stock_left: () => t("抢购中", "On now"),
    sold_out: () => t("已抢光", "Sold out"),
    ended: () => t("已结束", "Ended"),
  };

  function applySale(value) {
    const panel = $("flash-sale");
    sale = value && value.id ? value : null;
    saleReceivedAt = performance.now();
    if (!sale) {
      panel.hidden = true;
      panel.dataset.saleId = "";
      return;
    }
    panel.dataset.saleId = String(sale.id);
    panel.querySelector("input[name=sale_id]").value = sale.id;
    $("flash-title").textContent = titleOf(sale.sku_id);
    const share = sale.quantity > 0 ? Math.floor((sale.remaining * 100) / sale.quantity) : 0;
    $("flash-bar").style.width = `${share}%`;
    let terms = $("flash-terms");
    if (!terms) {
      terms = el("p", { class: "muted", id: "flash-terms" });
      panel.append(terms);
    }
    terms.replaceChildren(
      el("span", { class: "price" }, yuan(sale.buyer_price_fen)), " ",
      sale.subsidy_fen > 0 ? el("span", { class: "strike" }, yuan(sale.price_fen)) : null,
      sale.subsidy_fen > 0 ? ` ${t("平台补贴 ", "subsidy ")}${yuan(sale.subsidy_fen)} · ` : "",
      t("剩 ", "left "), el("span", { id: "flash-remaining" }, sale.remaining), ` / ${sale.quantity}`,
      ` · ${t("每人限 ", "limit ")}${sale.per_user_limit}`);
    panel.hidden = false;
    tickSale();
  }

  /** Redraws the countdown on the server's clock: `as_of_ms` plus the time since it came. */
  function tickSale() {
    if (!sale) return;
    const now = sale.as_of_ms + (performance.now() - saleReceivedAt);
    let countdown;
    let stage = sale.stage;
    if (stage === "ended" || now >= sale.ends_at_ms) {
      stage = "ended";
      countdown = t("已结束", "Ended");
    } else if (now < sale.starts_at_ms) {
      countdown = t("距开抢 ", "Opens in ") + clock(sale.starts_at_ms - now);
    } else if (sale.remaining > 0) {
      if (stage === "announced" || stage === "counting_down") stage = "started";
      countdown = t("距结束 ", "Ends in ") + clock(sale.ends_at_ms - now);
    } else {
      stage = "sold_out";
      countdown = t("已抢光", "Sold out");
    }
    $("flash-countdown").textContent = countdown;
    $("flash-state").textContent = (STAGES[stage] || STAGES.announced)();
    const open = (stage === "started" || stage === "stock_left") && sessionStatus === "live";
    $("flash-buy").disabled = !open;
  }
  setInterval(tickSale, TICK_MS);

  // ---- comments, the ticker, counters, the session ----

  function addLine(item) {
    const list = $("comments");
    list.append(item);
    while (list.children.length > COMMENTS_SHOWN) list.firstElementChild.remove();
    list.scrollTop = list.scrollHeight;
  }

  function showStatus(text) {
    $("room-status").textContent = text;
  }

  const REFUSALS = {
    unauthenticated: () => t("请先登录", "Please sign in first"),
    muted: () => t("你已被禁言", "You are muted in this room"),
    rate_limited: () => t("太快了，请稍后再试", "Too fast; try again in a moment"),
    comment_banned_word: () => t("评论包含不允许的词语", "The comment contains a word that is not allowed"),
    comment_too_long: () => t("评论太长了", "The comment is too long"),
    session_ended: () => t("直播已结束", "The session has ended"),
  };

  function showRefusal(error) {
    const known = REFUSALS[error.code];
    showStatus(known ? known() : `${error.message || t("出错了", "Something went wrong")} (${error.code})`);
  }

  function setCommenting(allowed, placeholder) {
    const input = $("comment-form").elements.text;
    if (!input || !viewer) return;
    input.disabled = !allowed;
    input.placeholder = placeholder;
  }

  function setSessionStatus(status) {
    sessionStatus = status;
    room.dataset.sessionStatus = status;
    const badge = $("session-badge");
    badge.textContent = { live: t("直播中", "LIVE"), scheduled: t("预告", "Soon"), ended: t("已结束", "Ended") }[status] || status;
    badge.className = status === "live" ? "badge live" : "badge";
    if (status === "ended") {
      finished = true;
      $("session-ended").hidden = false;
      const submit = $("buy-submit");
      if (submit) submit.disabled = true;
    }
    renderShelf();
    renderPinned(shelf.find((item) => String(item.sku_id) === $("pinned").dataset.skuId) || null);
    tickSale();
  }

  function applyState(state) {
    if (state.session && state.session.status && state.session.status !== sessionStatus) {
      sessionStatus = state.session.status;
    }
    shelf = Array.isArray(state.shelf) ? state.shelf : [];
    renderShelf();
    renderPinned(state.pinned || null);
    applySale(state.flash_sale || null);
    setSessionStatus(sessionStatus);
  }

  function applyCounters(counters) {
    $("online").textContent = counters.online;
    $("likes").textContent = counters.likes;
  }

  function applyEvent(event, offset) {
    switch (event.kind) {
      case "session":
        setSessionStatus(event.status);
        break;
      case "pinned":
        renderPinned(event.product || null);
        break;
      case "shelf":
        shelf = Array.isArray(event.items) ? event.items : [];
        renderShelf();
        break;
      case "flash_sale":
        applySale(event.sale || null);
        break;
      case "comment":
        addLine(el("li", { "data-offset": offset }, el("b", null, event.name), event.text));
        break;
      case "comment_deleted": {
        const gone = $("comments").querySelector(`li[data-offset="${Number(event.offset)}"]`);
        if (gone) gone.remove();
        break;
      }
      case "order":
        $("ticker").textContent = t(`${event.city}的用户刚买了 ${event.title}`, `Someone in ${event.city} just bought ${event.title}`);
        break;
      case "muted":
        if (event.user_id === userId) setCommenting(false, t("你已被禁言", "You are muted in this room"));
        break;
      case "unmuted":
        if (event.user_id === userId) setCommenting(true, t("说点什么…", "Say something…"));
        break;
      case "notice":
        addLine(el("li", { class: "system" }, event.text));
        break;
      default:
        break; // A kind this page does not know yet changes nothing it shows.
    }
  }

  // ---- the room connection ----

  let socket = null;
  let source = null;
  let failedSockets = 0;
  let retryMs = RECONNECT_FIRST_MS;
  let retryTimer = null;

  function visitorId() {
    let id = null;
    try { id = localStorage.getItem("dh_visitor"); } catch (_) { /* storage off */ }
    if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
      const bytes = new Uint8Array(12);
      crypto.getRandomValues(bytes);
      id = "v" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      try { localStorage.setItem("dh_visitor", id); } catch (_) { /* counted per page then */ }
    }
    return id;
  }
  const visitor = visitorId();

  function joinQuery() {
    const query = new URLSearchParams({ visitor });
    if (position) {
      query.set("epoch", position.epoch);
      query.set("offset", position.offset);
    }
    return query.toString();
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "snapshot":
        if (frame.recovered === false) {
          // Events were missed: what is shown is replaced, comments included.
          $("comments").replaceChildren();
          $("ticker").textContent = "";
        }
        position = { epoch: frame.epoch, offset: frame.offset };
        applyState(frame.state || {});
        if (frame.counters) applyCounters(frame.counters);
        break;
      case "resumed":
        position = { epoch: frame.epoch, offset: frame.offset };
        break;
      case "event":
        if (position && frame.epoch === position.epoch && frame.offset <= position.offset) break;
        if (!position || frame.epoch !== position.epoch || frame.offset !== position.offset + 1) {
          // A gap the server did not announce: resume from what was applied.
          reconnect(0);
          return;
        }
        position = { epoch: frame.epoch, offset: frame.offset };
        applyEvent(frame.event || {}, frame.offset);
        break;
      case "skipped":
        if (position && frame.from <= position.offset + 1 && frame.to > position.offset) {
          position = { epoch: position.epoch, offset: frame.to };
        }
        break;
      case "counters":
        applyCounters(frame);
        break;
      case "error":
        showRefusal(frame);
        break;
      default:
        break;
    }
  }

  function onEnded() {
    finished = true;
    setSessionStatus("ended");
    showStatus("");
  }

  function closeConnection() {
    if (socket) {
      socket.onclose = null;
      socket.close();
      socket = null;
    }
    if (source) {
      source.close();
      source = null;
    }
  }

  function reconnect(afterMs) {
    closeConnection();
    if (finished || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect();
    }, afterMs);
  }

  function retryLater() {
    showStatus(t("连接中断，正在重连…", "Connection lost; reconnecting…"));
    const wait = retryMs + Math.floor(Math.random() * 500);
    retryMs = Math.min(retryMs * 2, RECONNECT_LAST_MS);
    reconnect(wait);
  }

  function connect() {
    if (finished) return;
    if (failedSockets >= WEBSOCKET_TRIES || !("WebSocket" in window)) {
      connectEvents();
      return;
    }
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/api/live-sessions/${sessionId}/room?${joinQuery()}`);
    let opened = false;
    socket = ws;
    ws.onopen = () => {
      opened = true;
      failedSockets = 0;
      retryMs = RECONNECT_FIRST_MS;
      showStatus("");
    };
    ws.onmessage = (message) => onFrame(JSON.parse(message.data));
    ws.onclose = (closed) => {
      socket = null;
      if (closed.code === 4002) {
        onEnded();
        return;
      }
      if (!opened) failedSockets += 1;
      retryLater();
    };
  }

  /** The fallback: Server-Sent Events, reopened by hand so the resume point is ours. */
  function connectEvents() {
    const events = new EventSource(`/api/live-sessions/${sessionId}/room/events?${joinQuery()}`);
    source = events;
    events.onopen = () => {
      retryMs = RECONNECT_FIRST_MS;
      // A WebSocket that failed while the server was away may open next time.
      failedSockets = 0;
      showStatus("");
    };
    events.onmessage = (message) => onFrame(JSON.parse(message.data));
    events.addEventListener("closing", (message) => {
      const why = JSON.parse(message.data);
      if (why.code === "session_ended") onEnded();
      else retryLater();
    });
    events.onerror = () => retryLater();
  }

  setInterval(() => {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send('{"type":"ping"}');
  }, PING_EVERY_MS);

  // ---- posting to this page's routes ----

  async function post(path, fields) {
    try {
      const response = await fetch(path, {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-csrf-token": csrf },
        body: new URLSearchParams(fields),
      });
      const answer = await response.json().catch(() => null);
      if (answer) return answer;
      return { error: { code: response.redirected ? "unauthenticated" : `http_${response.status}` } };
    } catch (_) {
      return { error: { code: "network", message: t("网络错误", "Network error") } };
    }
  }

  const commentForm = $("comment-form");
  if (viewer) {
    commentForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = commentForm.elements.text;
      const text = input.value.trim();
      if (!text) return;
      const answer = await post(`/live/${sessionId}/comment`, { text });
      if (answer.error) showRefusal(answer.error);
      else {
        input.value = "";
        showStatus("");
      }
    });

    let likesWaiting = 0;
    let likeTimer = null;
    const sendLikes = async () => {
      likeTimer = null;
      const count = Math.min(likesWaiting, LIKES_PER_POST);
      likesWaiting -= count;
      if (count > 0) {
        const answer = await post(`/live/${sessionId}/like`, { count });
        if (answer.error) showRefusal(answer.error);
      }
      if (likesWaiting > 0) likeTimer = setTimeout(sendLikes, LIKE_GATHER_MS);
    };
    $("like").addEventListener("click", (event) => {
      event.preventDefault();
      likesWaiting += 1;
      const button = event.currentTarget;
      button.classList.remove("tapped");
      void button.offsetWidth; // restart the tap animation
      button.classList.add("tapped");
      if (!likeTimer) likeTimer = setTimeout(sendLikes, LIKE_GATHER_MS);
    });
  }

  // ---- the shelf drawer and the buy sheet ----

  const shelfDrawer = $("shelf");
  const sheet = $("buy-sheet");
  $("shelf-open").addEventListener("click", () => {
    if (sheet) sheet.hidden = true;
    shelfDrawer.hidden = false;
  });
  $("shelf-close").addEventListener("click", () => { shelfDrawer.hidden = true; });

  function openSheet(form) {
    const saleField = form.elements.sale_id;
    const saleId = saleField ? saleField.value : "";
    const skuId = form.elements.sku_id ? form.elements.sku_id.value : "";
    let title;
    let price;
    let most;
    if (saleId) {
      if (!sale || String(sale.id) !== saleId) return false;
      title = titleOf(sale.sku_id);
      price = sale.buyer_price_fen;
      most = sale.per_user_limit;
    } else {
      const item = shelf.find((i) => String(i.sku_id) === skuId);
      if (!item) return false;
      title = item.title;
      price = item.live_price_fen;
      most = item.stock_left;
    }
    $("buy-sale").value = saleId;
    $("buy-sku").value = saleId ? "" : skuId;
    $("buy-item").replaceChildren(
      saleId ? el("span", { class: "badge live" }, t("秒杀", "Flash sale")) : "", saleId ? " " : "",
      title, " ", el("span", { class: "price" }, yuan(price)));
    const quantity = $("buy-quantity");
    quantity.value = "1";
    quantity.max = String(Math.max(1, most));
    shelfDrawer.hidden = true;
    sheet.hidden = false;
    return true;
  }

  if (sheet && viewer === "buyer") {
    document.addEventListener("submit", (event) => {
      const form = event.target;
      if (form.classList && form.classList.contains("buy-open") && openSheet(form)) event.preventDefault();
    });
    $("buy-close").addEventListener("click", () => { sheet.hidden = true; });
    // The server makes one order per sheet whatever is sent twice; the button says so too.
    sheet.addEventListener("submit", () => setTimeout(() => { $("buy-submit").disabled = true; }, 0));
  }

  // A page brought back from the browser's cache would hold an old sheet and old state.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) location.reload();
  });

  const initial = $("flash-sale").dataset.sale;
  if (initial) applySale(JSON.parse(initial));
  connect();
})();
