// Herald dashboard: swap in the fragments the server pushes over Server-Sent Events.
// A page opts in with <body data-live="/dashboard/...events">; each pushed event is
// {"element-id": "<html>"}. No library, no network beyond this server.
(function () {
  var url = document.body.getAttribute("data-live");
  if (!url || !window.EventSource) return;
  var source = new EventSource(url);
  source.onmessage = function (event) {
    var fragments = JSON.parse(event.data);
    Object.keys(fragments).forEach(function (id) {
      var element = document.getElementById(id);
      if (element) element.innerHTML = fragments[id];
    });
    document.body.setAttribute("data-updated", String(Date.now()));
  };
  source.addEventListener("end", function () { source.close(); });
})();
