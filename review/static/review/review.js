/* Instructor review: live filters, the replay scrubber, notes and print. No library needed.
 *
 * Every form here also works without JavaScript (a plain GET). With it, a form marked
 * data-rv-live="#target" fetches the same URL as an htmx request (the server answers with
 * the one fragment it would put in the page) and swaps #target, keeping the URL in step.
 */
(function () {
  "use strict";

  var controllers = new WeakMap();

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function queryOf(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (value !== "") params.append(key, value);
    });
    return params.toString();
  }

  function swap(form, url) {
    var target = document.querySelector(form.dataset.rvLive);
    if (!target) return Promise.resolve();
    var previous = controllers.get(form);
    if (previous) previous.abort();  // a newer request wins: never swap in a stale answer
    var controller = new AbortController();
    controllers.set(form, controller);
    target.classList.add("rv-loading");
    return fetch(url, { headers: { "HX-Request": "true" }, signal: controller.signal, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        var fresh = holder.firstElementChild;
        if (fresh) target.replaceWith(fresh);
        history.replaceState(null, "", url);
        document.dispatchEvent(new CustomEvent("rv:swapped", { detail: { form: form, element: fresh } }));
      })
      .catch(function (error) {
        if (error.name !== "AbortError") {
          target.classList.remove("rv-loading");
          window.location.href = url;  // fall back to a full page load
        }
      });
  }

  function submitLive(form) {
    var url = (form.getAttribute("action") || window.location.pathname).split("?")[0];
    var query = queryOf(form);
    return swap(form, query ? url + "?" + query : url);
  }

  // ---------------------------------------------------------------- timeline filters and pages
  document.querySelectorAll("form[data-rv-live]").forEach(function (form) {
    var later = debounce(function () { submitLive(form); }, form.hasAttribute("data-rv-replay") ? 90 : 250);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submitLive(form);
    });
    form.addEventListener("change", function (event) {
      if (event.target.matches("select, input[type=datetime-local]")) {
        if (event.target.matches("[data-rv-at]")) setBy(form, "at");
        submitLive(form);
      }
    });
    form.addEventListener("input", function (event) {
      if (event.target.matches("input[type=search]")) later();
      if (event.target.matches("[data-rv-scrub]")) {
        setBy(form, "seq");
        showPending(form);
        later();
      }
    });
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-rv-link]");
    if (link) {
      var form = document.querySelector("form[data-rv-live='#rv-results']");
      if (form) {
        event.preventDefault();
        var url = new URL(link.getAttribute("href"), window.location.href);
        swap(form, url.pathname + url.search).then(function () {
          if (url.hash) {
            var row = document.querySelector(url.hash);
            if (row) row.scrollIntoView({ block: "center" });
          } else {
            var results = document.querySelector("#rv-results");
            if (results) results.scrollIntoView({ block: "start" });
          }
        });
      }
      return;
    }
    var reset = event.target.closest("[data-rv-reset]");
    if (reset) {
      var filters = reset.closest("form");
      if (filters && filters.dataset.rvLive) {
        event.preventDefault();
        filters.reset();
        filters.querySelectorAll("input[type=search]").forEach(function (i) { i.value = ""; });
        filters.querySelectorAll("select").forEach(function (s) { s.selectedIndex = 0; });
        submitLive(filters);
      }
      return;
    }
    var note = event.target.closest("[data-rv-note]");
    if (note) {
      var details = document.getElementById("add-note");
      if (details) {
        event.preventDefault();
        details.open = true;
        var field = details.querySelector("input[name=event]");
        if (field) field.value = note.dataset.rvNote;
        var text = details.querySelector("textarea");
        details.scrollIntoView({ block: "center" });
        if (text) text.focus();
      }
      return;
    }
    var more = event.target.closest("[data-rv-show-more]");
    if (more) {
      var scope = more.parentElement.previousElementSibling;
      if (scope && scope.matches("[data-rv-more]")) scope.hidden = false;
      if (scope) scope.querySelectorAll("[data-rv-more]").forEach(function (part) { part.hidden = false; });
      more.parentElement.remove();
      return;
    }
    if (event.target.closest("[data-rv-print]")) {
      window.print();
      return;
    }
    var step = event.target.closest("[data-rv-step]");
    var jump = event.target.closest("[data-rv-goto]");
    if (step || jump) {
      var replay = document.querySelector("form[data-rv-replay]");
      var range = replay && replay.querySelector("[data-rv-scrub]");
      if (!range) return;
      var value = jump ? Number(jump.dataset.rvGoto) : Number(range.value) + Number(step.dataset.rvStep);
      range.value = String(Math.max(Number(range.min), Math.min(Number(range.max), value)));
      setBy(replay, "seq");
      showPending(replay);
      submitLive(replay);
    }
  });

  // ---------------------------------------------------------------- replay scrubber
  function setBy(form, how) {
    var by = form.querySelector("[data-rv-by]");
    if (by) by.value = how;
  }

  function showPending(form) {
    var range = form.querySelector("[data-rv-scrub]");
    var label = form.querySelector("[data-rv-seq-label]");
    if (range && label) label.textContent = "#" + range.value + " …";
  }

  document.addEventListener("rv:swapped", function (event) {
    var element = event.detail.element;
    if (!element || element.id !== "rv-screen") return;
    var form = event.detail.form;
    var range = form.querySelector("[data-rv-scrub]");
    var label = form.querySelector("[data-rv-seq-label]");
    var at = form.querySelector("[data-rv-at]");
    if (range && document.activeElement !== range) range.value = element.dataset.seq;
    else if (range && range.value !== element.dataset.seq) return;  // still dragging: a newer answer is coming
    if (label) label.textContent = element.dataset.label;
    if (range) range.setAttribute("aria-valuetext", element.dataset.label);
    if (at && document.activeElement !== at) at.value = element.dataset.at;
  });

  document.querySelectorAll("[data-rv-select]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
})();
