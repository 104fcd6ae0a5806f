/* Crisis Table: the player's screen in a real room (issue #12; decisions in docs/accessibility.md).
 *
 * - nothing new goes unseen: the brief folds away when the clock starts; a new feed item out of
 *   sight shows a "N new" button in the viewport that brings it there; the tab title counts the
 *   injects not yet acknowledged; a live region reads out each inject's title; an optional beep
 *   (per player, localStorage, generated with WebAudio: no sound file);
 * - phones: the room is four panes (Feed · Channels · Actions · Brief) with unread badges;
 * - ended means ended: every control of the exercise is disabled once the clock says "ended";
 * - reconnect at once: on `online` and when the tab comes back, the socket is reopened now, not
 *   after the backoff; an offline banner says so; unsent chat text stays (static/js/app.js);
 * - End asks first, in a <dialog> (window.confirm is not styleable, not translatable by us and
 *   blocks every other tab's socket).
 */
(function () {
  "use strict";

  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
  const reduced = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const narrow = () => window.matchMedia("(max-width: 700px)").matches;
  const baseTitle = document.title;

  // ------------------------------------------------------------------ the announcer (aria-live)
  function say(text) {
    const region = $("#ct-announcer");
    if (!region || !text) return;
    region.textContent = "";
    // A fresh text node a moment later, so the same title twice is read twice.
    setTimeout(() => (region.textContent = text), 60);
  }

  // ------------------------------------------------------------------ sound (opt-in, per player)
  const SOUND_KEY = "ct-sound";
  let audio = null;
  function soundOn() {
    return localStorage.getItem(SOUND_KEY) === "1";
  }
  function beep() {
    if (!soundOn()) return;
    document.body.dataset.beeps = String(Number(document.body.dataset.beeps || 0) + 1);
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.2, audio.currentTime + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.3);
    } catch (e) {
      /* no audio device: the visual cues remain */
    }
  }
  function syncSound() {
    for (const button of $$("[data-sound-toggle]")) button.setAttribute("aria-pressed", soundOn() ? "true" : "false");
  }

  // ------------------------------------------------------------------ unread: title, "N new", panes
  let fresh = 0; // feed items arrived live and not yet brought into view
  function feedTopInView() {
    const feed = $("#feed");
    if (!feed || !feed.offsetParent) return false;
    const rect = feed.getBoundingClientRect();
    const top = Math.max(rect.top, 0);
    return feed.scrollTop < 40 && top < window.innerHeight - 40 && rect.bottom > 40;
  }
  function updateNewButton() {
    const button = $("#ct-new-items");
    if (!button) return;
    if (fresh && feedTopInView()) fresh = 0;
    button.hidden = !fresh;
    const label = $(".ct-new-count", button);
    if (label) label.textContent = String(fresh);
    const feedBadge = $("[data-pane-unread='feed']");
    if (feedBadge) {
      feedBadge.textContent = fresh ? String(fresh) : "";
      feedBadge.hidden = !fresh;
    }
  }
  function showNew() {
    if (narrow()) selectPane("feed");
    const feed = $("#feed");
    if (!feed) return;
    feed.scrollTop = 0;
    const panel = feed.closest(".panel") || feed;
    panel.scrollIntoView({ behavior: reduced() ? "auto" : "smooth", block: "start" });
    fresh = 0;
    updateNewButton();
    feed.focus({ preventScroll: true });
  }
  function updateTitle() {
    const unseen = $$("#feed > .feed-item.is-unseen").length;
    document.title = unseen ? `(${unseen}) ${baseTitle}` : baseTitle;
  }
  function updatePaneBadges() {
    const channels = $$(".col-channels [data-unread-for]").reduce((n, b) => n + Number(b.textContent || 0), 0);
    const actions = $$(".col-actions .awaits-me").length;
    for (const [pane, n] of [["channels", channels], ["actions", actions]]) {
      const badge = $(`[data-pane-unread='${pane}']`);
      if (!badge) continue;
      badge.textContent = n ? String(n) : "";
      badge.hidden = !n;
    }
  }

  function noteArrivals() {
    const arrived = $$("#feed > .feed-item.is-new:not(.ct-noted)");
    let injects = [];
    for (const item of arrived) {
      item.classList.add("ct-noted");
      if (item.classList.contains("kind-inject")) injects.push(item);
    }
    if (arrived.length) {
      fresh += arrived.length;
      if (feedTopInView()) fresh = 0;
    }
    if (injects.length) {
      const titles = injects.map((i) => ($(".item-title", i) || i).textContent.trim());
      const prefix = ($("#ct-announcer") || document.body).dataset.injectPrefix || "New inject:";
      say(`${prefix} ${titles.join(" · ")}`);
      beep();
    }
    updateNewButton();
  }

  // ------------------------------------------------------------------ the brief folds when play starts
  let lastStatus = "";
  function followStatus() {
    const clock = $("#clock");
    const status = clock ? clock.dataset.status : "";
    if (status && lastStatus === "lobby" && status !== "lobby") {
      const brief = $("#brief-details");
      if (brief) brief.open = false; // still one click away ("Your brief and objectives", or the Brief tab)
    }
    if (status === "ended" && lastStatus && lastStatus !== "ended") {
      // The end screen is at the top of the room: bring it into view once, when the end arrives.
      const end = $("#ct-ended .end-screen");
      if (end) end.scrollIntoView({ behavior: reduced() ? "auto" : "smooth", block: "start" });
    }
    lastStatus = status || lastStatus;
    applyEnded(status === "ended");
  }

  // ------------------------------------------------------------------ ended means ended
  function applyEnded(ended) {
    document.body.classList.toggle("is-ended", ended);
    if (!ended) return;
    for (const field of $$("#live form input, #live form button, #live form textarea, #live form select")) {
      field.disabled = true;
    }
    for (const dialog of $$("dialog[open]")) dialog.close();
  }

  // ------------------------------------------------------------------ phone panes
  const PANE_KEY = () => `ct-pane:${location.pathname}`;
  function selectPane(pane) {
    const room = $(".room");
    if (!room) return;
    room.dataset.activePane = pane;
    sessionStorage.setItem(PANE_KEY(), pane);
    for (const tab of $$(".room-tab")) tab.setAttribute("aria-pressed", tab.dataset.roomTab === pane ? "true" : "false");
    if (pane === "brief" && narrow()) {
      const brief = $("#brief-details");
      if (brief) brief.open = true;
    }
    if (pane === "feed") {
      fresh = 0;
      updateNewButton();
    }
    document.body.dispatchEvent(new CustomEvent("ct:pane"));
    updatePaneBadges();
  }

  // ------------------------------------------------------------------ reconnect at once
  let wrapper = null; // htmx's socket wrapper (has reconnect())
  let offlineTimer = null;
  htmx.config.wsReconnectDelay = (retries) => {
    // The backoff after the immediate attempts below: 0.5 s, 1 s, 2 s, 4 s, then every 8 s, with jitter.
    const base = Math.min(500 * 2 ** retries, 8000);
    return base / 2 + Math.random() * (base / 2);
  };
  function setOffline(offline) {
    const banner = $("#ct-offline");
    if (!banner || !$("#live")) return;
    clearTimeout(offlineTimer);
    if (!offline) {
      banner.hidden = true;
      return;
    }
    // A socket that comes straight back (a phone waking up) should not flash a banner.
    offlineTimer = setTimeout(() => (banner.hidden = document.body.dataset.ws === "open"), navigator.onLine ? 1200 : 0);
  }
  let connecting = false;
  document.addEventListener("htmx:wsConnecting", () => (connecting = true));
  function reconnectNow() {
    if (!wrapper || connecting || document.body.dataset.ws === "open") return;
    document.body.dataset.reconnects = String(Number(document.body.dataset.reconnects || 0) + 1);
    wrapper.reconnect();
  }
  document.addEventListener("htmx:wsOpen", (event) => {
    connecting = false;
    wrapper = event.detail.socketWrapper;
    setOffline(false);
  });
  document.addEventListener("htmx:wsClose", (event) => {
    connecting = false;
    wrapper = event.detail.socketWrapper || wrapper;
    setOffline(true);
  });
  window.addEventListener("online", reconnectNow);
  window.addEventListener("offline", () => setOffline(true));
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) reconnectNow();
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) reconnectNow(); // back from the back-forward cache
  });

  // ------------------------------------------------------------------ wiring
  document.addEventListener("htmx:wsAfterMessage", () => {
    noteArrivals();
    followStatus();
    updateTitle();
    updatePaneBadges();
  });
  document.addEventListener("htmx:wsAfterSend", (event) => {
    updateTitle();
    const form = event.target;
    const dialog = form && form.closest && form.closest("dialog");
    if (dialog && form.matches("[data-close-dialog]")) dialog.close();
  });
  document.addEventListener("htmx:afterSwap", () => {
    updateTitle();
    if (document.body.classList.contains("is-ended")) applyEnded(true);
  });

  document.addEventListener("click", (event) => {
    const target = event.target;
    if (target.closest("#ct-new-items")) return showNew();
    const tab = target.closest(".room-tab");
    if (tab) return selectPane(tab.dataset.roomTab);
    const toggle = target.closest("[data-sound-toggle]");
    if (toggle) {
      localStorage.setItem(SOUND_KEY, soundOn() ? "0" : "1");
      syncSound();
      if (soundOn()) beep(); // a sample, and the user gesture browsers want before any sound
      return;
    }
    const opener = target.closest("[data-open-dialog]");
    if (opener) {
      const dialog = document.getElementById(opener.dataset.openDialog);
      if (dialog && !dialog.open) dialog.showModal();
      return;
    }
    const closer = target.closest("button[data-close-dialog]");
    if (closer) closer.closest("dialog").close();
  });

  let scrollTimer = null;
  const onScroll = () => {
    clearTimeout(scrollTimer);
    scrollTimer = setTimeout(updateNewButton, 80);
  };
  window.addEventListener("scroll", onScroll, { passive: true });
  document.addEventListener("scroll", (e) => e.target && e.target.id === "feed" && onScroll(), true);

  document.addEventListener("DOMContentLoaded", () => {
    const clock = $("#clock");
    lastStatus = clock ? clock.dataset.status : "";
    followStatus();
    const pane = sessionStorage.getItem(PANE_KEY());
    if ($(".room")) selectPane(["feed", "channels", "actions", "brief"].includes(pane) ? pane : "feed");
    syncSound();
    updateTitle();
    updatePaneBadges();
  });
})();
