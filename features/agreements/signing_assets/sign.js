/* The agreement-signing page (Telegram Mini App, or the browser chat's page). Vanilla JS.
 *
 * Telegram passes initData in the URL fragment (tgWebAppData=…); we read it there instead of
 * loading telegram-web-app.js from Telegram's CDN, and send it with every API call so the
 * server can check it with the bot token's HMAC. All text shown comes from /info: the
 * agreement's own text for this signer and the interface text in the signer's language. Text
 * is put into the page with textContent only, never as HTML. */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var query = new URLSearchParams(location.search);
  var docId = query.get("d") || "";
  var sha = query.get("v") || "";
  var strings = {};

  function initData() {
    var hash = new URLSearchParams(location.hash.replace(/^#/, ""));
    var data = hash.get("tgWebAppData");
    try {
      if (data) { sessionStorage.setItem("tgWebAppData", data); }
      else { data = sessionStorage.getItem("tgWebAppData"); }
    } catch (e) { /* storage disabled: use what the fragment gave */ }
    return data || "";
  }

  function postEvent(type) {
    var data = JSON.stringify({ eventType: type, eventData: "" });
    if (window.TelegramWebviewProxy) { window.TelegramWebviewProxy.postEvent(type, ""); }
    else if (window.external && "notify" in window.external) { window.external.notify(data); }
    else if (window.parent !== window) { window.parent.postMessage(data, "*"); }
  }

  function show(id, text, ok) {
    var el = $(id);
    el.textContent = text || "";
    el.className = ok ? "notice ok" : "notice";
    el.hidden = !text;
  }
  /* Errors while signing show beside the buttons, where the person is looking. */
  function notice(text, ok) { show("error", text, ok); }

  function call(method, url, body) {
    return fetch(url, {
      method: method,
      headers: { "X-Telegram-Init-Data": initData(), "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
      credentials: "same-origin", /* the browser chat's session, when not in Telegram */
    }).then(function (r) { return r.json(); });
  }

  /* ---- the pad: pointer events, scaled for the screen's pixel ratio ---- */
  var canvas = $("pad");
  var ctx = canvas.getContext("2d");
  var drawing = false, strokes = 0, last = null;

  function resize() {
    var ratio = Math.min(window.devicePixelRatio || 1, 3);
    var rect = canvas.getBoundingClientRect();
    canvas.width = Math.round(rect.width * ratio);
    canvas.height = Math.round(rect.height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.lineWidth = 2.6; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
    strokes = 0;
  }

  function point(e) {
    var rect = canvas.getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  }

  canvas.addEventListener("pointerdown", function (e) {
    drawing = true; last = point(e); canvas.setPointerCapture(e.pointerId);
    ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(last.x + 0.1, last.y); ctx.stroke();
    e.preventDefault();
  });
  canvas.addEventListener("pointermove", function (e) {
    if (!drawing) { return; }
    var p = point(e);
    ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
    last = p; e.preventDefault();
  });
  function end() { if (drawing) { strokes += 1; } drawing = false; }
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  function busy(on) {
    ["submit", "clear", "typed-submit"].forEach(function (id) { $(id).disabled = on; });
  }

  function send(body) {
    if (!$("confirm").checked) {
      notice(strings.must_confirm, false);
      $("confirm-box").classList.add("attention");
      $("confirm-box").scrollIntoView({ block: "center" });
      $("confirm").focus();
      return;
    }
    busy(true); notice(strings.sending, true);
    body.doc = docId; body.sha = sha;
    call("POST", "/webapp/sign", body).then(function (res) {
      if (res.ok) {
        show("notice", res.message || strings.done, true);
        $("form").hidden = true;
        $("notice").scrollIntoView({ block: "center" });
        setTimeout(function () { postEvent("web_app_close"); }, 1500);
      } else { notice(res.message || strings.failed, false); busy(false); }
    }).catch(function () { notice(strings.failed, false); busy(false); });
  }

  $("clear").addEventListener("click", function () {
    ctx.clearRect(0, 0, canvas.width, canvas.height); strokes = 0;
  });
  $("submit").addEventListener("click", function () {
    if (strokes === 0) { notice(strings.empty, false); return; }
    send({ png: canvas.toDataURL("image/png") });
  });
  $("confirm").addEventListener("change", function () {
    if ($("confirm").checked) { $("confirm-box").classList.remove("attention"); notice(""); }
  });
  $("typed-submit").addEventListener("click", function () {
    var name = $("typed").value.trim();
    if (!name) { notice(strings.typed_empty, false); return; }
    send({ typed_name: name });
  });

  /* ---- the agreement's text ---- */
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function renderAgreement(a) {
    var box = $("text");
    box.textContent = "";
    if (a.committee) {
      var c = el("dl");
      c.appendChild(el("dt", "", strings.committee)); c.appendChild(el("dd", "", a.committee));
      box.appendChild(c);
    }
    box.appendChild(el("h3", "", strings.parties));
    (a.parties || []).forEach(function (p) {
      box.appendChild(el("p", p.own ? "party own" : "party", p.role + "：" + p.text));
    });
    (a.sections || []).forEach(function (section) {
      box.appendChild(el("h3", "", strings["h_" + section.key] || ""));
      if (section.items) {
        var list = el("ol", "terms");
        section.items.forEach(function (t) { list.appendChild(el("li", "", t)); });
        box.appendChild(list);
      } else if (section.rows) {
        var rows = el("dl");
        section.rows.forEach(function (r) {
          rows.appendChild(el("dt", "", strings["f_" + r[0]] || r[0]));
          rows.appendChild(el("dd", "", r[1]));
        });
        box.appendChild(rows);
      } else {
        (section.paragraphs || []).forEach(function (t) { box.appendChild(el("p", "", t)); });
      }
    });
    var tail = el("dl");
    if (a.copies) {
      tail.appendChild(el("dt", "", strings.f_copies)); tail.appendChild(el("dd", "", String(a.copies)));
    }
    if (a.date) { tail.appendChild(el("dt", "", strings.f_date)); tail.appendChild(el("dd", "", a.date)); }
    box.appendChild(tail);
  }

  /* In Telegram the PDF is fetched with initData (no cookie there) and handed over as a
   * file; in the browser the plain link works with the chat's session. */
  function openPdf(e) {
    if (!initData()) { return; }
    e.preventDefault();
    fetch($("pdf").getAttribute("href"), { headers: { "X-Telegram-Init-Data": initData() } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.blob(); })
      .then(function (blob) {
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = "agreement.pdf";
        document.body.appendChild(a); a.click(); a.remove();
      })
      .catch(function () { show("notice", strings.pdf_failed, false); });
  }

  /* ---- load the document and the interface text ---- */
  postEvent("web_app_ready");
  postEvent("web_app_expand");
  var url = "/webapp/sign/info?d=" + encodeURIComponent(docId) + "&v=" + encodeURIComponent(sha);
  call("GET", url).then(function (res) {
    strings = res.strings || {};
    var set = function (id, key) { $(id).textContent = strings[key] || ""; };
    set("title", "title"); set("intro", "intro"); set("l-version", "version");
    set("l-signer", "signer"); set("l-sha", "sha"); set("l-confirm", "confirm");
    set("l-tech", "tech"); set("tech-hint", "tech_hint");
    set("l-text", "text_title"); set("text-hint", "text_hint"); set("pdf", "pdf");
    set("draw-hint", "draw_hint"); set("clear", "clear"); set("submit", "submit");
    set("l-typed", "typed_label"); set("typed-submit", "typed_submit");
    if (!res.ok) { show("notice", res.message, false); return; }
    $("version").textContent = res.number + " · v" + res.version;
    $("signer").textContent = res.signer + (res.name ? " " + res.name : "");
    $("sha").textContent = res.sha256;
    $("tech").hidden = false;
    if (res.agreement) { renderAgreement(res.agreement); $("agreement").hidden = false; }
    if (res.pdf) {
      $("pdf").setAttribute("href", res.pdf); $("pdf").hidden = false;
      $("pdf").addEventListener("click", openPdf);
      if (initData()) { set("pdf-note", "pdf_telegram"); $("pdf-note").hidden = false; }
    }
    if (res.state !== "ready") { show("notice", res.message, false); return; }
    sha = res.sha256;
    $("form").hidden = false;
    resize();
  }).catch(function () { show("notice", "⚠", false); });
  window.addEventListener("resize", function () { if (strokes === 0) { resize(); } });
})();
