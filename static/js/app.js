/* Crisis Table: the little the server cannot do for the browser.
 *
 * - resume: on every socket open, send the last sequence number this page has
 *   (#ct-seq, updated by every frame), so the server replays what was missed;
 * - lists: drop pushed items already on screen, mark live ones as new, let a delivered
 *   message replace its "in transit" copy; skip panels whose content hash is unchanged;
 * - the game clock ticks from the anchor the server pushed (a new one comes with a start, pause,
 *   resume or phase change: screens.frames._clock), written with the server's month and weekday
 *   names (exercises/dates.py: one formatter);
 * - channel tabs, unread counts (a message in a pane not on screen stays unread), Enter to send,
 *   toasts, copy buttons, the open <details> of the console's act-as panel across its reloads;
 * - forms that clear after sending (data-reset) and inject acknowledgements (data-acked):
 *   the Content-Security-Policy forbids inline handlers, so they are listeners here;
 * - the chat composer keeps its text until the server acknowledges it: each message carries a
 *   client id (cid); a socket that dies first shows "not sent, retrying" and the same message
 *   (same cid, so the server does it once) goes again when the socket is back.
 * The room's cues for new items, the phone panes, the end, reconnecting at once and the End
 * dialog are in static/js/room.js (docs/accessibility.md).
 */
(function () {
  "use strict";

  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
  const code = () => ($("#live") || document.body).dataset.code || "";

  // ------------------------------------------------------------------ connection and resume
  function setConnection(state) {
    document.body.dataset.ws = state;
    const badge = $("#conn");
    if (!badge) return;
    badge.dataset.state = state;
    const label = $(".conn-label", badge);
    if (label) label.textContent = state === "open" ? label.dataset.online : label.dataset.offline;
  }

  let socket = null; // htmx's socket wrapper, for resending what was not acknowledged
  document.addEventListener("htmx:wsOpen", (event) => {
    socket = event.detail.socketWrapper;
    const marker = $("#ct-seq");
    const last = marker ? Number(marker.dataset.seq || 0) : 0;
    socket.sendImmediately(JSON.stringify({ type: "resume", last: last }));
    setConnection("open");
    resendPending();
  });
  document.addEventListener("htmx:wsClose", () => {
    setConnection("closed");
    markPending("retrying");
  });
  document.addEventListener("htmx:wsError", () => setConnection("closed"));

  // ------------------------------------------------------------------ composer: sent exactly once
  const pending = new Map(); // cid -> { form, body, tries, timer }
  const MAX_TRIES = 6;
  const ACK_WAIT = 6000; // ms without an answer on an open socket before trying again

  function newCid() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // A composer may be swapped out-of-band meanwhile (channel opened or closed): find it again by id.
  const current = (entry) => (entry.form.id && document.getElementById(entry.form.id)) || entry.form;

  function setComposerState(form, state) {
    if (!form) return;
    if (state) form.dataset.sendState = state;
    else delete form.dataset.sendState;
    const status = $(".composer-status", form);
    if (status) status.textContent = state ? form.dataset["msg" + state[0].toUpperCase() + state.slice(1)] || "" : "";
  }

  function trySend(cid) {
    const entry = pending.get(cid);
    if (!entry) return;
    clearTimeout(entry.timer);
    if (entry.tries >= MAX_TRIES) {
      pending.delete(cid);
      setComposerState(current(entry), "failed");
      return;
    }
    if (!socket || document.body.dataset.ws !== "open") {
      setComposerState(current(entry), "retrying");
      return; // resent by resendPending when the socket opens again
    }
    entry.tries += 1;
    if (entry.tries > 1) setComposerState(current(entry), "retrying");
    socket.sendImmediately(entry.body);
    entry.timer = setTimeout(() => trySend(cid), ACK_WAIT);
  }

  function resendPending() {
    for (const cid of pending.keys()) trySend(cid);
  }

  function markPending(state) {
    for (const entry of pending.values()) {
      clearTimeout(entry.timer);
      setComposerState(current(entry), state);
    }
  }

  document.addEventListener("htmx:wsConfigSend", (event) => {
    const form = event.target.closest && event.target.closest("form.composer");
    if (!form || event.defaultPrevented) return;
    if (form.dataset.sendState === "sending" || form.dataset.sendState === "retrying") {
      event.preventDefault(); // one message in flight per composer: it keeps its text until answered
      return;
    }
    const cid = newCid();
    const body = JSON.stringify(Object.assign({}, event.detail.parameters, { cid: cid }));
    pending.set(cid, { form: form, body: body, tries: 0, timer: null });
    setComposerState(form, "sending");
    event.preventDefault(); // we send it ourselves, so a resend is the very same frame
    trySend(cid);
  });

  function handleAcks() {
    for (const mark of $$("#ct-acks > [data-ack]")) {
      const entry = pending.get(mark.dataset.ack);
      mark.remove();
      if (!entry) continue;
      clearTimeout(entry.timer);
      const status = mark.dataset.status;
      const form = current(entry);
      if (status === "retry") {
        setComposerState(form, "retrying");
        entry.timer = setTimeout(() => trySend(mark.dataset.ack), 2000);
        continue;
      }
      pending.delete(mark.dataset.ack);
      if (status === "ok") {
        form.reset();
        setComposerState(form, "");
      } else {
        setComposerState(form, "failed"); // refused: the toast says why; the text stays
      }
    }
  }

  // Other ws-send forms: clear after sending; an acknowledged inject loses its button.
  document.addEventListener("htmx:wsAfterSend", (event) => {
    const form = event.target;
    if (!form || !form.matches) return;
    if (form.matches("form[data-reset]:not(.composer)")) form.reset();
    if (form.matches("form[data-acked]")) acked(form);
  });

  // ------------------------------------------------------------------ out-of-band swaps
  const openDetails = new Map(); // panel id -> ids of <details> open before a swap

  document.addEventListener("htmx:oobBeforeSwap", (event) => {
    const { target, fragment } = event.detail;
    if (!fragment) return;
    if (fragment instanceof HTMLTemplateElement) {
      // Rows pushed one by one (the console's inject list and its instructor notes,
      // screens/frames.py): each replaces the row with its id or is appended; the panel's hash
      // no longer holds.
      event.detail.shouldSwap = false;
      for (const row of Array.from(fragment.content.children)) {
        const shown = row.id && document.getElementById(row.id);
        if (shown) shown.replaceWith(row);
        else target.append(row);
        htmx.process(row);
      }
      const panel = target.closest("[data-hash]");
      if (panel) delete panel.dataset.hash;
      return;
    }
    if (fragment instanceof DocumentFragment) {
      // A whole panel (outerHTML): skip it when nothing in it changed.
      const incoming = fragment.firstElementChild;
      if (incoming && incoming.dataset.hash && incoming.dataset.hash === target.dataset.hash) {
        event.detail.shouldSwap = false;
        return;
      }
      openDetails.set(target.id, $$("details[open][id]", target).map((d) => d.id));
      return;
    }
    // Items appended to a list: never twice, and each one arriving live is new.
    for (const child of Array.from(fragment.children)) {
      if (child.id && document.getElementById(child.id)) {
        child.remove();
        continue;
      }
      child.classList.add("is-new");
      const replaced = child.dataset.replaces && document.getElementById(child.dataset.replaces);
      if (replaced) replaced.remove();
    }
  });

  function reopenDetails(target) {
    const ids = target && openDetails.get(target.id);
    if (!ids) return;
    openDetails.delete(target.id);
    for (const id of ids) {
      const details = document.getElementById(id);
      if (details) details.open = true;
    }
  }
  document.addEventListener("htmx:oobAfterSwap", (event) => reopenDetails(event.detail.target));

  // The same for a panel that htmx reloads by request and that says so (data-keep-open: the
  // console's act-as panel, which loads and refreshes itself with hx-get): no attribute keeps
  // the reader's open <details> across a swap.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (target && target.id && target.hasAttribute("data-keep-open")) {
      openDetails.set(target.id, $$("details[open][id]", target).map((d) => d.id));
    }
  });
  document.addEventListener("htmx:afterSwap", (event) => reopenDetails(event.detail.target));

  document.addEventListener("htmx:wsAfterMessage", () => {
    handleAcks();
    syncTabs();
    countUnread();
    announceNew();
    document.body.dispatchEvent(new CustomEvent("ct:update"));
  });

  // New items: the cues (tab title, "N new", live region, sound) are in static/js/room.js.
  function announceNew() {
    $$(".messages > .is-new").forEach((m) => scrollToEnd(m.parentElement));
  }

  function acked(form) {
    const item = form.closest(".feed-item");
    if (!item) return;
    item.classList.remove("is-unseen", "is-new");
    const flag = $(".new-flag", item);
    if (flag) flag.remove();
    form.remove();
  }

  // ------------------------------------------------------------------ the game clock
  // Seconds of game time per second of wall time, anchored where the server last said.
  let skew = 0;
  let seenServerNow = "";
  // One formatter (exercises/dates.py): the month and weekday names come from the server, so the
  // ticking clock writes exactly what the server wrote ("mié 5 sept · 08:46"), never Intl's variant.
  function formatGame(clock, game) {
    const t0 = Number(clock.dataset.t0);
    const tz = Number(clock.dataset.tz);
    const when = new Date((t0 + game + tz) * 1000);
    const months = (clock.dataset.months || "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec").split(",");
    const days = (clock.dataset.days || "Mon,Tue,Wed,Thu,Fri,Sat,Sun").split(",");
    const pad = (n) => String(n).padStart(2, "0");
    const weekday = days[(when.getUTCDay() + 6) % 7];
    return `${weekday} ${when.getUTCDate()} ${months[when.getUTCMonth()]} · ${pad(when.getUTCHours())}:${pad(when.getUTCMinutes())}`;
  }
  function offsetLabel(game) {
    const sign = game < 0 ? "-" : "+";
    let rest = Math.abs(game);
    const days = Math.floor(rest / 86400);
    rest -= days * 86400;
    const hours = Math.floor(rest / 3600);
    const minutes = Math.floor((rest - hours * 3600) / 60);
    const pad = (n) => String(n).padStart(2, "0");
    return `T${sign}${days ? days + "d " : ""}${pad(hours)}:${pad(minutes)}`;
  }
  function tick() {
    const clock = $("#clock");
    if (!clock || clock.dataset.status !== "running") return;
    if (clock.dataset.serverNow !== seenServerNow) {
      seenServerNow = clock.dataset.serverNow;
      skew = Number(seenServerNow) - Date.now() / 1000;
    }
    const now = Date.now() / 1000 + skew;
    const anchorGame = Number(clock.dataset.anchorGame);
    let game = anchorGame + Math.floor((now - Number(clock.dataset.anchorWall)) * Number(clock.dataset.rate));
    game = Math.max(Number(clock.dataset.game), Math.min(Number(clock.dataset.boundary), game));
    const time = $(".js-game-time", clock);
    const offset = $(".js-game-offset", clock);
    if (time) time.textContent = formatGame(clock, game);
    if (offset) offset.textContent = offsetLabel(game);
  }
  setInterval(tick, 1000);

  // ------------------------------------------------------------------ channel tabs and unread counts
  const activeKey = () => `ct-tab:${location.pathname}`;
  const readKey = (channel) => `ct-read:${location.pathname}:${channel}`;

  function activeChannel() {
    const tabs = $$(".tabs [role=tab]");
    if (!tabs.length) return "";
    const wanted = sessionStorage.getItem(activeKey());
    return tabs.some((t) => t.dataset.channel === wanted) ? wanted : tabs[0].dataset.channel;
  }

  function syncTabs() {
    const current = activeChannel();
    for (const tab of $$(".tabs [role=tab]")) {
      const on = tab.dataset.channel === current;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(tab.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    }
    if (current) markRead(current);
  }

  function markRead(channel) {
    const list = document.getElementById(`msgs-${channel}`);
    if (!list || document.hidden || !list.offsetParent) return; // not on screen (a phone's other pane): still unread
    const last = Math.max(0, ...$$(".msg", list).map((m) => Number(m.dataset.seq)));
    localStorage.setItem(readKey(channel), String(last));
  }

  function countUnread() {
    const current = activeChannel();
    for (const badge of $$("[data-unread-for]")) {
      const channel = badge.dataset.unreadFor;
      if (channel === current) markRead(channel);
      const read = Number(localStorage.getItem(readKey(channel)) || 0);
      const unread = $$(`#msgs-${channel} > .msg:not(.mine)`).filter((m) => Number(m.dataset.seq) > read).length;
      badge.textContent = unread ? String(unread) : "";
      badge.hidden = !unread;
      badge.setAttribute("aria-label", unread ? `${unread}` : "");
    }
  }

  function selectTab(tab, focus) {
    sessionStorage.setItem(activeKey(), tab.dataset.channel);
    syncTabs();
    countUnread();
    const list = document.getElementById(`msgs-${tab.dataset.channel}`);
    if (list) scrollToEnd(list);
    if (focus) tab.focus();
  }

  document.addEventListener("click", (event) => {
    const tab = event.target.closest(".tabs [role=tab]");
    if (tab) selectTab(tab, false);
    const close = event.target.closest(".toast-close");
    if (close) close.closest(".toast").remove();
    const copy = event.target.closest("[data-copy]");
    if (copy) {
      const field = $(copy.dataset.copy);
      if (field) {
        field.select();
        (navigator.clipboard ? navigator.clipboard.writeText(field.value) : Promise.reject()).catch(() => document.execCommand("copy"));
        copy.classList.add("copied");
        setTimeout(() => copy.classList.remove("copied"), 1500);
      }
    }
  });

  document.addEventListener("keydown", (event) => {
    const tab = event.target.closest && event.target.closest(".tabs [role=tab]");
    if (tab && ["ArrowRight", "ArrowLeft", "Home", "End"].includes(event.key)) {
      const tabs = $$("[role=tab]", tab.parentElement);
      let index = tabs.indexOf(tab);
      if (event.key === "ArrowRight") index = (index + 1) % tabs.length;
      if (event.key === "ArrowLeft") index = (index - 1 + tabs.length) % tabs.length;
      if (event.key === "Home") index = 0;
      if (event.key === "End") index = tabs.length - 1;
      event.preventDefault();
      selectTab(tabs[index], true);
      return;
    }
    // Enter sends a chat message; Shift+Enter writes a new line.
    if (event.key === "Enter" && !event.shiftKey && event.target.matches(".composer textarea")) {
      event.preventDefault();
      const form = event.target.form;
      if (form && form.reportValidity()) form.requestSubmit();
    }
  });

  function scrollToEnd(list) {
    if (list) list.scrollTop = list.scrollHeight;
  }

  // ------------------------------------------------------------------ toasts
  const toastObserver = new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType === 1 && node.classList.contains("toast")) {
          setTimeout(() => node.remove(), node.classList.contains("toast-error") ? 12000 : 6000);
        }
      }
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    const toasts = $("#toasts");
    if (toasts) {
      toastObserver.observe(toasts, { childList: true, subtree: true });
      $$(".toast", toasts).forEach((t) => setTimeout(() => t.remove(), 12000));
    }
    document.body.addEventListener("ct:pane", () => {
      syncTabs(); // a phone pane came into view (static/js/room.js): what it shows is now read
      countUnread();
    });
    syncTabs();
    countUnread();
    $$(".messages").forEach(scrollToEnd);
    tick();
  });
})();
