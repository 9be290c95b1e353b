// The events search page. The page works without this file; it adds histogram drag-zoom,
// expandable rows, closing popovers on outside clicks, example insertion and the error caret.
(function () {
  "use strict";

  function urlWith(changes) {
    var url = new URL(window.location.href);
    Object.keys(changes).forEach(function (key) {
      if (changes[key] === null) url.searchParams.delete(key);
      else url.searchParams.set(key, changes[key]);
    });
    url.searchParams.delete("cursor");
    return url.pathname + url.search;
  }

  // --- histogram: drag across bars to zoom (a click follows the bar's own link) ---
  function setupHistogram(area) {
    var bars = Array.prototype.slice.call(area.querySelectorAll(".bar"));
    var from = null, to = null;

    function barAt(event) {
      var target = document.elementFromPoint(event.clientX, event.clientY);
      var bar = target && target.closest(".bar");
      return bar && area.contains(bar) ? bars.indexOf(bar) : null;
    }
    function paint() {
      var lo = Math.min(from, to), hi = Math.max(from, to);
      bars.forEach(function (bar, i) { bar.classList.toggle("selected", from !== null && i >= lo && i <= hi); });
    }
    area.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) return;
      from = to = barAt(event);
      if (from === null) return;
      area.setPointerCapture(event.pointerId);
      event.preventDefault();
      paint();
    });
    area.addEventListener("pointermove", function (event) {
      if (from === null) return;
      var index = barAt(event);
      if (index !== null && index !== to) { to = index; paint(); }
    });
    area.addEventListener("pointerup", function () {
      if (from === null) return;
      var lo = bars[Math.min(from, to)], hi = bars[Math.max(from, to)];
      from = to = null;
      window.location.href = urlWith({ start: lo.dataset.start, end: hi.dataset.end });
    });
    area.addEventListener("pointercancel", function () { from = to = null; paint(); });
    // Navigation happens on pointerup; keep keyboard activation (Enter) working through the links.
    area.addEventListener("click", function (event) { if (event.detail > 0) event.preventDefault(); });
  }

  // --- rows: expand in place with the server-rendered fragment (escaped by Django) ---
  function setupRows(table) {
    table.addEventListener("click", function (event) {
      var link = event.target.closest("a.expand");
      if (!link) return;
      event.preventDefault();
      toggleRow(link);
    });
  }

  function toggleRow(link) {
    var row = link.closest("tr");
    var next = row.nextElementSibling;
    if (next && next.classList.contains("expanded-row")) {
      var open = next.hidden;
      next.hidden = !open;
      link.setAttribute("aria-expanded", String(open));
      return;
    }
    var detail = document.createElement("tr");
    detail.className = "expanded-row";
    var cell = document.createElement("td");
    cell.colSpan = row.children.length;
    cell.textContent = "Loading…";
    detail.appendChild(cell);
    row.parentNode.insertBefore(detail, row.nextSibling);
    link.setAttribute("aria-expanded", "true");
    fetchFragment(link.dataset.expandUrl, cell);
  }

  // --- popovers: close on outside click or Escape; only one open at a time ---
  function setupDropdowns() {
    var all = Array.prototype.slice.call(document.querySelectorAll("details.dropdown"));
    all.forEach(function (details) {
      details.addEventListener("toggle", function () {
        if (!details.open) return;
        all.forEach(function (other) { if (other !== details) other.open = false; });
        var first = details.querySelector(".menu input:not([type=hidden])");
        if (first && !details.classList.contains("timepicker")) first.focus();
      });
    });
    document.addEventListener("click", function (event) {
      all.forEach(function (details) { if (details.open && !details.contains(event.target)) details.open = false; });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      all.forEach(function (details) {
        if (details.open) { details.open = false; details.querySelector("summary").focus(); }
      });
    });
  }

  function setupExamples(input) {
    document.querySelectorAll("code.example").forEach(function (code) {
      code.addEventListener("click", function () {
        input.value = code.dataset.example;
        code.closest("details").open = false;
        input.focus();
      });
    });
  }

  function setupErrorCaret(input) {
    if (!input.hasAttribute("data-error-position")) return;
    var position = parseInt(input.dataset.errorPosition, 10);
    input.focus();
    try { input.setSelectionRange(position, position); } catch (e) { /* type=search may refuse */ }
  }

  // --- sidebar: a field's top values are fetched the first time it is opened ---
  function fetchFragment(url, into) {
    return fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + response.statusText);
        return response.text();
      })
      .then(function (html) { into.innerHTML = html; })  // server-rendered and escaped by Django
      .catch(function (error) { into.textContent = "Could not load: " + error.message; });
  }

  function setupLazyFields(sidebar) {
    sidebar.querySelectorAll("details.field").forEach(function (field) {
      field.addEventListener("toggle", function () {
        var lazy = field.querySelector(".lazy-values[data-url]");
        if (!field.open || !lazy) return;
        var url = lazy.dataset.url;
        lazy.removeAttribute("data-url");
        lazy.textContent = "Loading…";
        fetchFragment(url, lazy);
      });
    });
  }

  // --- sidebar: filter field names ---
  function setupFieldSearch(sidebar) {
    var box = sidebar.querySelector(".field-search");
    if (!box) return;
    box.hidden = false;
    box.addEventListener("input", function () {
      var needle = box.value.trim().toLowerCase();
      sidebar.querySelectorAll("details.field").forEach(function (field) {
        field.hidden = needle !== "" && field.dataset.field.toLowerCase().indexOf(needle) < 0;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var input = document.getElementById("query");
    var bars = document.querySelector(".hist-bars");
    var table = document.querySelector(".results-table");
    var sidebar = document.querySelector("aside.fields");
    if (bars) setupHistogram(bars);
    if (table) setupRows(table);
    if (sidebar) { setupFieldSearch(sidebar); setupLazyFields(sidebar); }
    setupDropdowns();
    if (input) { setupExamples(input); setupErrorCaret(input); }
  });
})();
