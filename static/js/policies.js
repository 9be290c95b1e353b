// Policy pages: toggles only. Everything works without this file (links reload the page).
(function () {
  document.documentElement.classList.add("js");
  var changes = document.querySelector("[data-history]");

  // Unified / split view: switch in place and keep the URL shareable.
  document.querySelectorAll("[data-toggle=view] a").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!changes) return;
      event.preventDefault();
      var split = link.dataset.view === "split";
      changes.classList.toggle("view-split", split);
      link.parentNode.querySelectorAll("a").forEach(function (other) {
        var active = other === link;
        other.classList.toggle("active", active);
        if (active) other.setAttribute("aria-current", "true"); else other.removeAttribute("aria-current");
      });
      window.history.replaceState(null, "", link.getAttribute("href") + window.location.hash);
    });
  });

  // Expand or collapse every diff at once.
  var expand = document.querySelector("[data-expand-all]");
  if (expand) {
    expand.addEventListener("click", function () {
      var diffs = document.querySelectorAll("details.diff");
      var open = Array.prototype.some.call(diffs, function (d) { return !d.open; });
      diffs.forEach(function (d) { d.open = open; });
      expand.textContent = open ? "Collapse all diffs" : "Expand all diffs";
    });
  }

  // Close the custom time range when clicking elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll(".seg details[open]").forEach(function (d) {
      if (!d.contains(event.target) && !d.classList.contains("active")) d.open = false;
    });
  });

  // A link to one change opens its diff.
  try {
    var target = window.location.hash && document.querySelector(window.location.hash + " details.diff");
    if (target) target.open = true;
  } catch (e) { /* a hash that is not a selector */ }
})();
