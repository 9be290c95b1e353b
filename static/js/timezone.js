// Tell the server the viewer's time zone, so pages show times in it (see ViewerTimezoneMiddleware).
(function () {
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!tz) return;
    var current = (document.cookie.match(/(?:^|; )tz=([^;]*)/) || [])[1];
    if (decodeURIComponent(current || "") !== tz) {
      document.cookie = "tz=" + encodeURIComponent(tz) + "; path=/; max-age=31536000; samesite=lax";
      if (!sessionStorage.getItem("tz-reloaded")) {
        sessionStorage.setItem("tz-reloaded", "1");
        location.reload();
      }
    }
  } catch (e) { /* old browser: times stay in UTC, which the page says */ }
})();
