// Onsite console: small progressive enhancements; every page works without them.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Buttons marked data-confirm ask first (cancel an order, revoke a device...).
  for (const el of document.querySelectorAll("[data-confirm]")) {
    el.addEventListener("click", (ev) => {
      if (!window.confirm(el.getAttribute("data-confirm"))) ev.preventDefault();
    });
  }
  // A print button prints the page (the work order's four copies).
  for (const el of document.querySelectorAll("[data-print]")) {
    el.addEventListener("click", () => window.print());
  }
  // Pages marked data-refresh reload on their own (the dispatch board), unless a form is being filled in.
  const body = document.querySelector("[data-refresh]");
  if (body) {
    const seconds = Number(body.getAttribute("data-refresh")) || 60;
    setInterval(() => {
      const a = document.activeElement;
      if (!a || !["INPUT", "SELECT", "TEXTAREA"].includes(a.tagName)) window.location.reload();
    }, seconds * 1000);
  }
});
