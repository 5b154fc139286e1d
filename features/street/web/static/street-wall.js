// The wall screen refreshes its figures by itself: every data-every seconds it reads
// data-source (JSON) and writes the numbers into the page; the page is never reloaded, so a
// screen left on all day keeps its place and does not flash. A failed read keeps the last
// figures (the "updated" time shows how old they are).
"use strict";
(function () {
  const body = document.body;
  const source = body.dataset.source;
  const every = Math.max(5, Number(body.dataset.every || 30)) * 1000;
  const noRate = body.dataset.noRate || "—";
  const names = {};
  const tpl = document.getElementById("type-names");
  if (tpl) {
    tpl.content.querySelectorAll("[data-type]").forEach(function (el) {
      names[el.dataset.type] = el.textContent;
    });
  }
  function show(unit) {
    const box = document.querySelector('[data-unit="' + unit.unit + '"]');
    if (!box) return;
    box.querySelectorAll("strong[data-k]").forEach(function (el) {
      const k = el.dataset.k;
      if (k === "rate") {
        el.textContent = unit.rate === null ? noRate : unit.rate.toFixed(1) + "%";
      } else if (k in unit) {
        el.textContent = String(unit[k]);
      }
    });
    const types = box.querySelector('[data-k="types"]');
    if (types) {
      types.replaceChildren();
      Object.entries(unit.types).slice(0, 4).forEach(function (pair) {
        const span = document.createElement("span");
        span.dataset.type = pair[0];
        span.textContent = (names[pair[0]] || pair[0]) + " ";
        const b = document.createElement("b");
        b.textContent = String(pair[1]);
        span.appendChild(b);
        types.appendChild(span);
      });
    }
  }
  async function refresh() {
    try {
      const response = await fetch(source, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) return;
      const data = await response.json();
      data.units.forEach(show);
      const updated = document.getElementById("updated");
      updated.textContent = updated.dataset.template.replace("{at}", data.at);
      body.dataset.refreshed = String(Number(body.dataset.refreshed || 0) + 1);
    } catch (e) {
      // keep the last figures
    }
  }
  setInterval(refresh, every);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) refresh();
  });
})();
