// Scenario studio: a problem's link leads to its field, and the keyboard lands in it.
// (The links work without this file; it only moves the focus to what the link points at.)
(() => {
  "use strict";
  const focusTarget = () => {
    const id = decodeURIComponent(window.location.hash.slice(1));
    if (!id) return;
    const target = document.getElementById(id);
    if (!target) return;
    const field = target.matches("input, textarea, select, button")
      ? target
      : target.querySelector("input:not([type=hidden]), textarea, select");
    if (field) {
      field.focus({ preventScroll: true });
      target.scrollIntoView({ block: "center" });
    }
  };
  document.addEventListener("DOMContentLoaded", focusTarget);
  window.addEventListener("hashchange", focusTarget);
})();
