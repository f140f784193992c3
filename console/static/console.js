// Countdowns for response clocks. The server renders each one (so the page works without
// scripts) and gives its own time in <body data-now>; we tick from that, not the browser's clock,
// so a simulated day and a wrong desktop clock both show the right deadline.
(function () {
  "use strict";
  var serverNow = Date.parse(document.body.getAttribute("data-now") || "");
  var loadedAt = Date.now();
  if (isNaN(serverNow)) { serverNow = loadedAt; }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function text(ms) {
    var prefix = ms >= 0 ? "剩余 " : "已超时 ";
    var s = Math.floor(Math.abs(ms) / 1000);
    var days = Math.floor(s / 86400); s -= days * 86400;
    var hours = Math.floor(s / 3600); s -= hours * 3600;
    var minutes = Math.floor(s / 60);
    return prefix + (days ? days + "天" : "") + hours + "小时" + pad(minutes) + "分";
  }

  function tick() {
    var now = serverNow + (Date.now() - loadedAt);
    var nodes = document.querySelectorAll(".countdown[data-due]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { continue; }
      var left = due - now;
      el.textContent = text(left);
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 3600 * 1000);
      el.classList.toggle("ok", left >= 3600 * 1000);
    }
  }

  tick();
  window.setInterval(tick, 1000);

  // The live queue reloads itself (data-refresh seconds) unless the officer is using a form.
  var refresh = parseInt(document.body.getAttribute("data-refresh") || "0", 10);
  if (refresh > 0) {
    window.setInterval(function () {
      var active = document.activeElement;
      var busy = active && /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(active.tagName);
      if (!busy && document.visibilityState === "visible") { window.location.reload(); }
    }, refresh * 1000);
  }
})();
