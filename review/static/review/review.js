/* Instructor review: only what htmx attributes cannot say. The timeline's filters and pager and
 * the replay form's requests are hx-* attributes in the templates. Here: which replay control
 * moved (the "by" field), the scrubber's label while dragging and after a swap, the step and
 * phase buttons, the "+ note" link, "show more", print and select-on-focus. CSP is strict: no
 * inline script or handler anywhere, so these stay in this file.
 */
(function () {
  "use strict";

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

  // Registered before htmx's own listeners (this script is deferred), so "by" is set first.
  document.querySelectorAll("form[data-rv-replay]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      if (event.target.matches("[data-rv-at]")) setBy(form, "at");
    });
    form.addEventListener("input", function (event) {
      if (event.target.matches("[data-rv-scrub]")) {
        setBy(form, "seq");
        showPending(form);
      }
    });
  });

  // After htmx swaps in a new screen: the scrubber, its label and the clock follow it.
  document.addEventListener("htmx:afterSettle", function () {
    var element = document.getElementById("rv-screen");
    var form = document.querySelector("form[data-rv-replay]");
    if (!element || !form) return;
    var range = form.querySelector("[data-rv-scrub]");
    var label = form.querySelector("[data-rv-seq-label]");
    var at = form.querySelector("[data-rv-at]");
    if (range && document.activeElement !== range) range.value = element.dataset.seq;
    else if (range && range.value !== element.dataset.seq) return;  // still dragging: a newer answer is coming
    if (label) label.textContent = element.dataset.label;
    if (range) range.setAttribute("aria-valuetext", element.dataset.label);
    if (at && document.activeElement !== at) at.value = element.dataset.at;
  });

  document.addEventListener("click", function (event) {
    var step = event.target.closest("[data-rv-step]");
    var jump = event.target.closest("[data-rv-goto]");
    if (step || jump) {
      var range = document.querySelector("form[data-rv-replay] [data-rv-scrub]");
      if (!range) return;
      var value = jump ? Number(jump.dataset.rvGoto) : Number(range.value) + Number(step.dataset.rvStep);
      range.value = String(Math.max(Number(range.min), Math.min(Number(range.max), value)));
      range.dispatchEvent(new Event("input", { bubbles: true }));  // the form's hx-trigger takes it from here
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
    if (event.target.closest("[data-rv-print]")) window.print();
  });

  document.querySelectorAll("[data-rv-select]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
})();
