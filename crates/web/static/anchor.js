// anchor pages' script: hand-written, no libraries.
//
// On every anchor page: buttons with data-confirm ask before their form is sent.
// On live control (#live-control): the room's public WebSocket (docs/ROOMS.md) keeps the
// counters, the comments, the pinned mark, stock left and flash-sale stock up to date; the
// comment buttons (delete, mute) post to this console's own routes with the page's CSRF
// token; the sales figures and the chart are fetched from the page's stats route.
(function () {
  'use strict';

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';

  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('button[data-confirm]') : null;
    if (button && !window.confirm(button.getAttribute('data-confirm'))) {
      event.preventDefault();
    }
  });

  var root = document.getElementById('live-control');
  if (!root) {
    return;
  }

  var sessionId = root.getAttribute('data-session-id');
  var statsUrl = root.getAttribute('data-stats-url');
  var list = document.getElementById('comments');
  var roomState = document.getElementById('room-state');
  var ticker = document.getElementById('order-ticker');
  var label = function (name) {
    return list ? list.getAttribute('data-label-' + name) || name : name;
  };

  // How many events before the latest a first visit asks the room for, to show recent
  // comments: the room sends a viewer this far behind every comment (docs/ROOMS.md).
  var BACKFILL_EVENTS = 32;
  // Comments kept on screen and in the tab's storage.
  var COMMENTS_KEPT = 100;
  // How often the sales figures are read again, ms.
  var STATS_EVERY_MS = 5000;
  // Reconnection waits grow from one second to half a minute.
  var RETRY_FIRST_MS = 1000;
  var RETRY_MAX_MS = 30000;

  // ---- posting to this console's routes -------------------------------------------------

  function post(url, fields) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'x-csrf-token': csrf,
        'accept': 'application/json',
        'content-type': 'application/x-www-form-urlencoded'
      },
      body: new URLSearchParams(fields || {}).toString()
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { ok: response.ok, body: body };
      });
    });
  }

  function say(text) {
    if (roomState) {
      roomState.textContent = text;
    }
  }

  function sayResult(result) {
    if (result.ok) {
      say(result.body.ok || '');
    } else {
      var error = result.body.error || {};
      say((error.message || 'error') + ' (' + (error.code || 'error') + ')');
    }
  }

  // ---- what this tab remembers of the room ------------------------------------------------

  var storageKey = 'dh_anchor_room_' + sessionId;
  var memory = { epoch: null, offset: null, backfilled: false, comments: [] };
  try {
    var saved = JSON.parse(window.sessionStorage.getItem(storageKey) || 'null');
    if (saved && Array.isArray(saved.comments)) {
      memory = saved;
    }
  } catch (ignored) { /* storage may be off; the page still works */ }

  function remember() {
    try {
      window.sessionStorage.setItem(storageKey, JSON.stringify(memory));
    } catch (ignored) { /* as above */ }
  }

  function visitorId() {
    var key = 'dh_visitor';
    var id = null;
    try { id = window.localStorage.getItem(key); } catch (ignored) { /* as above */ }
    if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
      var bytes = new Uint8Array(16);
      window.crypto.getRandomValues(bytes);
      id = Array.prototype.map.call(bytes, function (b) {
        return ('0' + b.toString(16)).slice(-2);
      }).join('');
      try { window.localStorage.setItem(key, id); } catch (ignored) { /* as above */ }
    }
    return id;
  }

  // ---- drawing -----------------------------------------------------------------------------

  function setStat(name, value) {
    var cell = root.querySelector('[data-stat="' + name + '"]');
    if (cell && value !== undefined && value !== null) {
      cell.textContent = String(value);
    }
  }

  function drawComments() {
    if (!list) {
      return;
    }
    list.textContent = '';
    for (var i = memory.comments.length - 1; i >= 0; i--) {
      var comment = memory.comments[i];
      var item = document.createElement('li');
      item.setAttribute('data-offset', comment.offset);
      if (comment.deleted) {
        item.className = 'deleted';
      }
      var name = document.createElement('b');
      name.textContent = comment.name;
      var id = document.createElement('span');
      id.className = 'muted';
      id.textContent = '#' + comment.user_id + ' ';
      var text = document.createElement('span');
      text.className = 'text';
      text.textContent = comment.text;
      item.appendChild(name);
      item.appendChild(id);
      item.appendChild(text);
      if (comment.deleted) {
        var gone = document.createElement('span');
        gone.className = 'muted';
        gone.textContent = ' (' + label('deleted') + ')';
        item.appendChild(gone);
      } else {
        var actions = document.createElement('span');
        actions.className = 'actions';
        var remove = document.createElement('button');
        remove.type = 'button';
        remove.className = 'link';
        remove.setAttribute('data-delete-offset', comment.offset);
        remove.textContent = label('delete');
        var mute = document.createElement('button');
        mute.type = 'button';
        mute.className = 'link';
        mute.setAttribute('data-mute-user', comment.user_id);
        mute.textContent = label('mute');
        actions.appendChild(remove);
        actions.appendChild(mute);
        item.appendChild(actions);
      }
      list.appendChild(item);
    }
  }

  function markPinned(skuId) {
    var rows = root.querySelectorAll('#session-shelf li[data-sku-id]');
    Array.prototype.forEach.call(rows, function (row) {
      var pinned = skuId !== null && String(skuId) === row.getAttribute('data-sku-id');
      row.classList.toggle('pinned-item', pinned);
      row.setAttribute('data-pinned', pinned ? 'true' : 'false');
      var badge = row.querySelector('.pinned-badge');
      if (badge) {
        badge.hidden = !pinned;
      }
      var button = row.querySelector('button[data-pin-sku]');
      if (button) {
        button.classList.toggle('primary', !pinned);
        button.setAttribute('aria-pressed', pinned ? 'true' : 'false');
      }
    });
  }

  function showShelf(items) {
    (items || []).forEach(function (item) {
      var cell = root.querySelector('[data-stock-left="' + item.sku_id + '"]');
      if (cell) {
        cell.textContent = String(item.stock_left);
      }
    });
  }

  function showSale(sale) {
    if (!sale || sale.id === undefined) {
      return;
    }
    var row = root.querySelector('tr[data-sale-id="' + sale.id + '"]');
    if (!row) {
      return;
    }
    var remaining = row.querySelector('[data-sale-remaining]');
    if (remaining && sale.remaining !== undefined) {
      remaining.textContent = String(sale.remaining);
    }
    var sold = row.querySelector('[data-sale-sold]');
    if (sold && sale.sold !== undefined) {
      sold.textContent = String(sale.sold);
    }
  }

  // ---- the room ----------------------------------------------------------------------------

  function apply(event, offset) {
    switch (event.kind) {
      case 'comment':
        memory.comments.push({
          offset: offset, user_id: event.user_id, name: event.name, text: event.text
        });
        if (memory.comments.length > COMMENTS_KEPT) {
          memory.comments.splice(0, memory.comments.length - COMMENTS_KEPT);
        }
        return true;
      case 'comment_deleted':
        memory.comments.forEach(function (comment) {
          if (comment.offset === event.offset) {
            comment.deleted = true;
          }
        });
        return true;
      case 'pinned':
        markPinned(event.product ? event.product.sku_id : null);
        return false;
      case 'shelf':
        showShelf(event.items);
        return false;
      case 'flash_sale':
        showSale(event.sale);
        return false;
      case 'order':
        if (ticker) {
          ticker.textContent = (event.city || '') + ' · ' + (event.title || '');
        }
        return false;
      case 'muted':
        say(label('muted') + ' #' + event.user_id);
        return false;
      case 'session':
        if (event.status === 'ended') {
          say(label('ended'));
        }
        return false;
      default:
        return false;
    }
  }

  var socket = null;
  var retryMs = RETRY_FIRST_MS;

  function connect() {
    var scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    var url = scheme + '//' + window.location.host + '/api/live-sessions/' +
      encodeURIComponent(sessionId) + '/room?visitor=' + visitorId();
    if (memory.epoch !== null && memory.offset !== null) {
      url += '&epoch=' + memory.epoch + '&offset=' + memory.offset;
    }
    socket = new WebSocket(url);
    socket.onopen = function () {
      retryMs = RETRY_FIRST_MS;
      say(label('live'));
    };
    socket.onmessage = function (message) {
      var frame;
      try { frame = JSON.parse(message.data); } catch (ignored) { return; }
      var redraw = false;
      switch (frame.type) {
        case 'snapshot':
          memory.epoch = frame.epoch;
          memory.offset = frame.offset;
          if (frame.counters) {
            setStat('online', frame.counters.online);
            setStat('likes', frame.counters.likes);
            setStat('comments', frame.counters.comments);
          }
          if (frame.state) {
            markPinned(frame.state.pinned ? frame.state.pinned.sku_id : null);
            showShelf(frame.state.shelf);
            showSale(frame.state.flash_sale);
          }
          if (!memory.backfilled && frame.recovered === undefined && frame.offset > 0) {
            // A first visit: ask again from a little before now, for recent comments.
            memory.backfilled = true;
            memory.offset = Math.max(0, frame.offset - BACKFILL_EVENTS);
            remember();
            socket.onclose = null;
            socket.close();
            connect();
            return;
          }
          memory.backfilled = true;
          break;
        case 'resumed':
          memory.epoch = frame.epoch;
          memory.offset = frame.offset;
          break;
        case 'event':
          if (typeof frame.offset === 'number') {
            memory.offset = frame.offset;
          }
          redraw = apply(frame.event || {}, frame.offset);
          break;
        case 'counters':
          setStat('online', frame.online);
          setStat('likes', frame.likes);
          setStat('comments', frame.comments);
          break;
        case 'error':
          say((frame.message || '') + ' (' + (frame.code || '') + ')');
          break;
        default:
          break;
      }
      remember();
      if (redraw) {
        drawComments();
      }
    };
    socket.onclose = function (close) {
      socket = null;
      if (close.code === 4002) {
        say(label('ended'));
        return;
      }
      say(label('offline'));
      window.setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    };
  }

  // ---- the comment buttons -----------------------------------------------------------------

  if (list) {
    list.addEventListener('click', function (event) {
      var button = event.target.closest ? event.target.closest('button') : null;
      if (!button) {
        return;
      }
      var base = '/anchor/sessions/' + encodeURIComponent(sessionId);
      if (button.hasAttribute('data-delete-offset')) {
        var offset = Number(button.getAttribute('data-delete-offset'));
        button.disabled = true;
        post(base + '/comments/' + offset + '/delete').then(function (result) {
          sayResult(result);
          if (result.ok) {
            apply({ kind: 'comment_deleted', offset: offset });
            remember();
            drawComments();
          } else {
            button.disabled = false;
          }
        });
      } else if (button.hasAttribute('data-mute-user')) {
        var minutes = document.getElementById('mute-minutes');
        post(base + '/mutes', {
          user_id: button.getAttribute('data-mute-user'),
          minutes: minutes ? minutes.value : ''
        }).then(sayResult);
      }
    });
  }

  // ---- the sales figures -------------------------------------------------------------------

  function refreshStats() {
    if (document.hidden || !statsUrl) {
      return;
    }
    fetch(statsUrl, { credentials: 'same-origin', headers: { 'accept': 'application/json' } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (stats) {
        if (!stats) {
          return;
        }
        // The room's own counters, read on the server: the same totals the socket sends.
        ['online', 'peak_online', 'unique_viewers', 'likes', 'comments', 'paid_orders', 'gmv',
          'awaiting_payment'].forEach(function (name) { setStat(name, stats[name]); });
        var chart = document.getElementById('sales-chart');
        if (chart && typeof stats.chart_html === 'string') {
          // Markup rendered and escaped by the server, from this site only.
          chart.innerHTML = stats.chart_html;
        }
        var nowcast = document.getElementById('nowcast');
        if (nowcast && typeof stats.nowcast_html === 'string') {
          // The sell-out nowcast panel, rendered and escaped by the server like the chart.
          nowcast.outerHTML = stats.nowcast_html;
        }
        (stats.sales || []).forEach(function (sale) {
          showSale(sale);
          var row = root.querySelector('tr[data-sale-id="' + sale.id + '"] [data-sale-phase]');
          if (row && typeof sale.phase_html === 'string') {
            row.innerHTML = sale.phase_html;
          }
        });
      })
      .catch(function () { /* the next tick tries again */ });
  }

  drawComments();
  if (root.getAttribute('data-status') !== 'ended') {
    connect();
  } else {
    say(label('ended'));
  }
  window.setInterval(refreshStats, STATS_EVERY_MS);
})();
