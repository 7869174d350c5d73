/* Render every plotly chart on the page from its JSON block.
   Pages carry no inline script (CSP script-src 'self'): each chart is a
   <div data-chart="ID"> beside <script type="application/json" id="ID">. */
(function () {
  "use strict";
  function render() {
    if (typeof window.Plotly === "undefined") {
      return;
    }
    var nodes = document.querySelectorAll("[data-chart]");
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var source = document.getElementById(node.getAttribute("data-chart"));
      if (!source) {
        continue;
      }
      var spec;
      try {
        spec = JSON.parse(source.textContent);
      } catch (err) {
        continue;
      }
      var small = node.classList.contains("spark");
      window.Plotly.newPlot(node, spec.data, spec.layout, {
        displaylogo: false,
        responsive: true,
        staticPlot: small,
        displayModeBar: small ? false : "hover"
      });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
