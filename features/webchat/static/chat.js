/* Browser chat for parties without Telegram. Vanilla JS, no dependencies, nothing from a CDN.
 *
 * Delivery rules (see features/webchat/channel.py):
 *  - what we send carries a client id (cid) and stays in "pending" (kept in sessionStorage)
 *    until the server acknowledges that it is stored; after a reconnect every pending message
 *    is sent again and the server handles a repeated cid only once;
 *  - what we receive carries a per-person sequence number; on (re)connect we say the last one
 *    we have and get everything after it; a number seen before is ignored, so a message is
 *    never shown twice and none is lost while the connection was down;
 *  - the person's own messages come back in the mailbox too (kind "mine", with the cid they
 *    were sent with), so a reload or another device shows both sides of the conversation.
 * All interface text comes from the server's message catalogs (the JSON in #config). */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("config").textContent);
  var S = cfg.strings;
  var $ = function (id) { return document.getElementById(id); };
  var csrf = $("csrf").value;

  $("title").textContent = S.title;
  $("subtitle").textContent = S.subtitle;
  document.title = S.title;

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return { ok: false, message: S.err_generic }; });
    }, function () { return { ok: false, message: S.err_generic }; });
  }

  /* ------------------------------------------------------------------ login */

  function showLogin() {
    $("login").hidden = false;
    $("login-intro").textContent = S.login_intro;
    if (cfg.invite) {
      /* The join link: who invited her, to what, before the phone login (issue 19). */
      $("invite").hidden = false;
      $("invite-text").textContent = cfg.invite.text;
      if (cfg.invite.number) { note($("invite-number"), S.invited_number.replace("{number}", cfg.invite.number)); }
      $("login-intro").textContent = cfg.invite.usable ? S.invited_login : S.invited_unusable;
    }
    $("phone-label").textContent = S.phone_label;
    $("phone").placeholder = S.phone_placeholder;
    $("send-code").textContent = S.send_code;
    $("code-label").textContent = S.code_label;
    $("code").placeholder = S.code_placeholder;
    $("login-btn").textContent = S.login;
    if (cfg.unitName) { note($("unit-note"), S.unit_set.replace("{unit}", cfg.unitName)); }
    if (cfg.dev) { note($("dev-note"), S.dev_notice); }
    $("phone-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var btn = $("send-code");
      btn.disabled = true;
      post("/chat/otp/request", { phone: $("phone").value, lang: cfg.lang }).then(function (r) {
        btn.disabled = false;
        /* A code still valid for this phone ("err_wait_code": asked again too soon) can be
         * entered as well as a new one. */
        var usable = r.ok || r.error === "err_wait_code";
        loginMessage(r.ok ? S.code_sent : r.message, usable);
        if (usable) {
          codePending($("phone").value);
          $("code-form").hidden = false; $("code").focus();
        }
      });
    });
    /* The page reloads while she reads the SMS (a phone switching apps): the code box comes
     * back for the phone it was sent to, as long as the code is valid. */
    var sent = codePending();
    if (sent) {
      $("phone").value = sent;
      $("code-form").hidden = false;
      loginMessage(S.code_sent, true);
    }
    $("code-form").addEventListener("submit", function (e) {
      e.preventDefault();
      post("/chat/otp/verify", { phone: $("phone").value, code: $("code").value, lang: cfg.lang })
        .then(function (r) {
          if (r.ok) { codePending(null); location.reload(); return; }
          loginMessage(r.message, false);
        });
    });
  }

  /* The phone a login code was sent to, kept for this tab (sessionStorage) until the code
   * expires: codePending(phone) remembers it, codePending(null) forgets it, codePending()
   * reads it (or ""). */
  function codePending(phone) {
    var key = "chat:login:code";
    try {
      if (phone === null) { sessionStorage.removeItem(key); return ""; }
      if (phone !== undefined) {
        sessionStorage.setItem(key, JSON.stringify({ phone: phone, until: Date.now() + cfg.codeSeconds * 1000 }));
        return phone;
      }
      var kept = JSON.parse(sessionStorage.getItem(key) || "null");
      return kept && kept.until > Date.now() ? String(kept.phone) : "";
    } catch (e) { return ""; /* private mode */ }
  }

  function note(el, text) { el.textContent = text; el.hidden = false; }

  function loginMessage(text, ok) {
    var el = $("login-msg");
    el.textContent = text;
    el.className = ok ? "msg ok" : "msg err";
    el.hidden = false;
  }

  /* ------------------------------------------------------------------ chat */

  var ws = null, lastSeq = 0, seen = {}, backoff = 500, timer = null, connected = false;
  var pendingKey = "chat:" + cfg.user + ":pending";
  var pending = [];
  var reloadOnNext = false;
  try { pending = JSON.parse(sessionStorage.getItem(pendingKey) || "[]"); } catch (e) { pending = []; }

  function savePending() {
    try { sessionStorage.setItem(pendingKey, JSON.stringify(pending)); } catch (e) { /* private mode */ }
  }

  function newId() {
    if (window.crypto && crypto.getRandomValues) {
      var a = new Uint32Array(4); crypto.getRandomValues(a);
      return Array.prototype.map.call(a, function (x) { return x.toString(16); }).join("");
    }
    return String(Date.now()) + String(Math.random()).slice(2);
  }

  function setState(kind) {
    var el = $("state");
    el.hidden = false;
    el.className = "state " + kind;
    el.textContent = kind === "online" ? S.state_online
      : kind === "offline" ? S.state_offline : S.state_connecting;
    $("chat").setAttribute("data-state", kind);
  }

  function showChat() {
    $("chat").hidden = false;
    $("text").placeholder = S.input_placeholder;
    $("text-label").textContent = S.message_label;
    $("menu-label").textContent = S.menu_label;
    $("file").setAttribute("aria-label", S.file_label);
    $("send").textContent = S.send;
    $("contact-btn").textContent = S.share_phone;
    var menu = [
      [S.menu_start, function () { queue({ type: "start", unit: cfg.unit || "" }, S.menu_start); }],
      [S.menu_join, function () {
        var code = window.prompt(S.join_prompt);
        if (code) { queue({ type: "join", code: code.trim() }, S.mine_join_code); }
      }],
      /* A command as a button press (services.inbound.command_action): nothing to type. */
      [S.menu_cases, function () { command("cases", S.menu_cases); }],
      [S.menu_agreement, function () { command("agreement", S.menu_agreement); }],
      [S.menu_record, function () { command("record", S.menu_record); }],
      /* The 24-hour legal assistant (features.lawyers): /ask's route, a consultation or a
       * question about the case; the next message is the question. */
      [S.menu_ask, function () { command("ask", S.menu_ask); }],
      /* Pinned: always on screen at the menu's end, however narrow the phone (the welcome
       * and every hint say to press 帮助). */
      [S.menu_help, function () { command("help", S.menu_help); }, "pin"],
      [S.menu_language, function () {
        reloadOnNext = true;
        queue({ type: "action", action: cfg.lang === "en" ? "lang:zh-CN" : "lang:en" }, S.menu_language);
      }],
      [S.logout, function () { post("/chat/logout", {}).then(function () { location.href = "/chat"; }); }],
      [S.logout_all, function () {
        post("/chat/logout", { everywhere: true }).then(function () { location.href = "/chat"; });
      }],
    ];
    if (cfg.staff) {
      /* A staff member logged in with their account's phone (features.webchat.staff_menu):
       * the buttons of their work instead of a party's; the rest of the menu stays. */
      menu = cfg.staff.map(function (item) {
        /* 帮助 pinned as in a party's menu: a mediator's row is long (案件列表, 待接手, 调解室…). */
        return [item[0], function () { command(item[1], item[0]); }, item[1] === "help" ? "pin" : ""];
      }).concat(menu.slice(-3));
    }
    menu.forEach(function (m) {
      var b = document.createElement("button");
      b.type = "button"; b.textContent = m[0];
      if (m[2]) { b.className = m[2]; }
      b.addEventListener("click", m[1]);
      $("menu").appendChild(b);
    });
    $("composer").addEventListener("submit", function (e) {
      e.preventDefault();
      var text = $("text").value;
      if (!text.trim()) { return; }
      $("text").value = "";
      queue({ type: "text", text: text }, text);
    });
    $("text").addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault(); $("composer").requestSubmit();
      }
    });
    $("attach-label").textContent = S.attach;
    $("file").addEventListener("change", function () {
      var file = $("file").files[0];
      $("file").value = "";
      if (!file) { return; }
      upload(file, file.name, function (r) { return "📎 " + r.name; });
    });
    $("record").textContent = S.record;
    $("rec-state").textContent = S.rec_recording;
    $("rec-cancel").textContent = S.rec_cancel;
    $("record").addEventListener("click", function () { if (rec) { stopRecording(false); } else { startRecording(); } });
    $("rec-cancel").addEventListener("click", function () { stopRecording(true); });
    $("contact-btn").addEventListener("click", function () {
      $("contact").hidden = true;
      queue({ type: "contact" }, S.share_phone);
    });
    pending.forEach(function (p) { mine(p.cid, p.label); });
    once("unit:" + cfg.unit, cfg.unit && !cfg.join, function () {
      queue({ type: "start", unit: cfg.unit }, S.menu_start);
    });
    once("join:" + cfg.join, !!cfg.join, function () {
      queue({ type: "join", code: cfg.join }, S.mine_join);  /* never the token itself */
    });
    connect();
  }

  /* Uploads go through /chat/upload (type sniffed and size checked there), then a "file"
   * message names the stored file; a recording becomes a voice message (features.voice). */
  function upload(blob, name, label, done) {
    var body = new FormData();
    body.append("file", blob, name);
    fetch("/chat/upload", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf }, body: body,
    }).then(function (r) {
      return r.json().catch(function () { return { ok: false, message: S.err_file }; });
    }).then(function (r) {
      if (done) { done(); }
      if (!r.ok) { notice(r.message || S.err_file); return; }
      queue({ type: "file", ref: r.ref, kind: r.kind, name: r.name, mime: r.mime, size: r.size },
            label(r));
    }, function () { if (done) { done(); } notice(S.err_generic); });
  }

  /* ------------------------------------------------------------------ voice recording
   * Tap 🎤 to start, tap again to stop and send; 取消 discards. MediaRecorder records Opus in
   * WebM (Chrome) or OGG (Firefox): whatever the browser supports first. */

  var rec = null;
  var MAX_SECONDS = 300;

  function recordingType() {
    var types = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/ogg"];
    for (var i = 0; i < types.length; i++) {
      if (MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(types[i])) { return types[i]; }
    }
    return "";
  }

  function clockText(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function startRecording() {
    if (!window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      notice(S.rec_unsupported); return;
    }
    $("record").disabled = true;
    /* A voice message is evidence and goes to speech recognition: recorded as spoken, without
     * a phone call's echo cancelling, noise suppression and gain (which smear the speech the
     * recogniser needs; tested with Mandarin through Chromium's capture). */
    var constraints = { audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } };
    navigator.mediaDevices.getUserMedia(constraints).then(function (stream) {
      var type = recordingType(), recorder;
      try {
        recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
      } catch (e) {
        stream.getTracks().forEach(function (t) { t.stop(); });
        $("record").disabled = false; notice(S.rec_failed); return;
      }
      var r = { recorder: recorder, stream: stream, chunks: [], started: Date.now(), cancelled: false };
      rec = r;
      recorder.ondataavailable = function (e) { if (e.data && e.data.size) { r.chunks.push(e.data); } };
      recorder.onstop = function () { finishRecording(r); };
      recorder.start(1000);
      r.tick = setInterval(function () {
        var seconds = Math.floor((Date.now() - r.started) / 1000);
        $("rec-timer").textContent = clockText(seconds);
        if (seconds >= MAX_SECONDS) { stopRecording(false); }
      }, 250);
      $("rec-timer").textContent = "0:00";
      $("recorder").hidden = false;
      $("record").textContent = S.rec_stop;
      $("record").classList.add("on");
      $("record").disabled = false;
    }, function (err) {
      $("record").disabled = false;
      var name = err && err.name;
      notice(name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError"
        ? S.rec_denied : S.rec_failed);
    });
  }

  function stopRecording(cancel) {
    var r = rec;
    if (!r) { return; }
    rec = null;
    r.cancelled = cancel;
    r.seconds = Math.max(1, Math.round((Date.now() - r.started) / 1000));
    clearInterval(r.tick);
    $("recorder").hidden = true;
    $("record").textContent = S.record;
    $("record").classList.remove("on");
    if (r.recorder.state !== "inactive") { r.recorder.stop(); } else { finishRecording(r); }
  }

  function finishRecording(r) {
    r.stream.getTracks().forEach(function (t) { t.stop(); });
    if (r.cancelled || r.finished) { return; }
    r.finished = true;
    var type = (r.recorder.mimeType || "audio/webm").split(";")[0];
    var blob = new Blob(r.chunks, { type: type });
    if (!blob.size) { notice(S.rec_empty); return; }
    var name = "voice." + (type.indexOf("ogg") >= 0 ? "ogg" : "webm");
    var label = S.rec_label.replace("{time}", clockText(r.seconds));
    $("record").disabled = true;
    upload(blob, name, function () { return label; }, function () { $("record").disabled = false; });
  }

  /* Actions a link asks for (a poster's unit, an invitation) happen once per page session. */
  function once(key, wanted, fn) {
    if (!wanted) { return; }
    var k = "chat:" + cfg.user + ":once:" + key;
    try { if (sessionStorage.getItem(k)) { return; } sessionStorage.setItem(k, "1"); } catch (e) { /* ok */ }
    fn();
  }

  /* A local notice (upload refused…): shown in the log, not sent anywhere. */
  function notice(text) {
    var li = document.createElement("li");
    li.className = "notice";
    li.setAttribute("role", "alert");
    li.textContent = text;
    append(li);
  }

  function command(name, label) { queue({ type: "action", action: "cmd:" + name }, label); }

  function queue(msg, label) {
    /* The label is how the message shows in the sender's own history (the button's name). */
    if (label && label !== msg.text) { msg.label = label; }
    var item = { cid: newId(), msg: msg, label: label };
    pending.push(item); savePending();
    mine(item.cid, label);
    if (connected) { ws.send(JSON.stringify({ type: "send", cid: item.cid, msg: msg })); }
  }

  function mine(cid, label) {
    var li = document.createElement("li");
    li.className = "me pending";
    li.setAttribute("data-cid", cid);
    var p = document.createElement("div"); p.className = "text"; p.textContent = label;
    var s = document.createElement("span"); s.className = "tick"; s.textContent = S.pending;
    li.appendChild(p); li.appendChild(s);
    append(li);
  }

  function append(li) {
    var log = $("log");
    var empty = log.querySelector(".empty");
    if (empty) { empty.remove(); }
    log.appendChild(li);
    li.scrollIntoView({ block: "end" });
  }

  function acked(cid) {
    pending = pending.filter(function (p) { return p.cid !== cid; });
    savePending();
    var li = document.querySelector('li[data-cid="' + CSS.escape(cid) + '"]');
    if (li) { li.classList.remove("pending"); var t = li.querySelector(".tick"); if (t) { t.remove(); } }
  }

  function receive(seq, item) {
    if (seen[seq]) { return; }            /* never show a message twice */
    seen[seq] = true;
    if (seq > lastSeq) { lastSeq = seq; }
    if (item.mine) { own(seq, item); return; }
    var li = document.createElement("li");
    li.className = "them";
    li.setAttribute("data-seq", String(seq));
    if (item.text) {
      var t = document.createElement("div"); t.className = "text"; t.textContent = item.text;
      li.appendChild(t);
    }
    if (item.audio) {
      var audio = document.createElement("audio");
      audio.controls = true; audio.preload = "metadata"; audio.className = "voice";
      audio.src = item.audio; audio.setAttribute("aria-label", S.play);
      li.appendChild(audio);
    }
    if (item.qr) {
      var img = document.createElement("img"); img.src = item.qr; img.alt = S.qr_alt; img.className = "qr";
      li.appendChild(img);
    }
    if (item.join) { li.appendChild(linkLine(S.join_browser, item.join)); }
    if (item.telegram) { li.appendChild(linkLine(S.join_telegram, item.telegram)); }
    if (item.share) { passOn(li, item.share); }
    if (item.file) {
      var a = document.createElement("a");
      a.href = item.file.url; a.className = "file"; a.setAttribute("download", item.file.name);
      a.textContent = "⬇ " + S.download + " " + item.file.name;
      li.appendChild(a);
    }
    (item.buttons || []).forEach(function (row) {
      var div = document.createElement("div"); div.className = "buttons";
      row.forEach(function (b) {
        var el;
        if (b.url) {
          el = document.createElement("a"); el.href = b.url; el.target = "_blank"; el.rel = "noopener";
          el.className = "button"; el.textContent = b.text;
        } else {
          el = document.createElement("button"); el.type = "button"; el.textContent = b.text;
          el.addEventListener("click", function () {
            queue({ type: "action", action: b.action }, b.text);
          });
        }
        div.appendChild(el);
      });
      li.appendChild(div);
    });
    $("contact").hidden = !item.contact;
    if (item.contact) { $("contact-btn").textContent = item.contact; }
    append(li);
    if (reloadOnNext) { reloadOnNext = false; setTimeout(function () { location.reload(); }, 300); }
  }

  /* One of this person's own messages from the mailbox, in its place in the conversation:
   * stored, so no longer pending; the bubble shown when it was sent (same cid) gives way. */
  function own(seq, item) {
    if (item.cid) {
      acked(item.cid);
      var shown = document.querySelector('li.me[data-cid="' + CSS.escape(item.cid) + '"]');
      if (shown) { shown.remove(); }
    }
    var li = document.createElement("li");
    li.className = "me";
    li.setAttribute("data-seq", String(seq));
    if (item.cid) { li.setAttribute("data-cid", item.cid); }
    var p = document.createElement("div"); p.className = "text"; p.textContent = item.text;
    li.appendChild(p);
    append(li);
  }

  /* An invitation to pass on (features.webchat.web_render: ``share``, words for the invitee
   * with the join link): 复制邀请 copies them; 分享 opens the phone's share sheet (Web Share
   * API) where the browser has one, and copies when it cannot share. */
  function passOn(li, text) {
    var row = document.createElement("div"); row.className = "buttons share";
    var status = document.createElement("p"); status.className = "copied"; status.hidden = true;
    status.setAttribute("role", "status");
    var copy = document.createElement("button"); copy.type = "button"; copy.className = "copy";
    copy.textContent = S.copy_invite;
    copy.addEventListener("click", function () { copyText(text, status); });
    row.appendChild(copy);
    if (navigator.share) {
      var share = document.createElement("button"); share.type = "button"; share.className = "share";
      share.textContent = S.share_invite;
      share.addEventListener("click", function () {
        var shared;
        try { shared = navigator.share({ text: text }); } catch (e) { shared = Promise.reject(e); }
        Promise.resolve(shared).catch(function (e) {
          if (!e || e.name !== "AbortError") { copyText(text, status); }  /* not just closed */
        });
      });
      row.appendChild(share);
    }
    li.appendChild(row);
    li.appendChild(status);
  }

  function copyText(text, status) {
    function copied() { status.textContent = S.copied; status.hidden = false; }
    function byHand() {
      /* Nothing could copy (an old browser, a page not served over HTTPS): the words to
       * select by hand. */
      status.textContent = S.copy_manual;
      status.hidden = false;
      var area = document.createElement("textarea");
      area.className = "share-text"; area.readOnly = true; area.value = text; area.rows = 4;
      status.appendChild(area);
      area.focus(); area.select();
    }
    function legacy() {
      var area = document.createElement("textarea");
      area.value = text; area.setAttribute("readonly", ""); area.className = "offscreen";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      area.remove();
      if (ok) { copied(); } else { byHand(); }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(copied, legacy);
    } else {
      legacy();
    }
  }

  function linkLine(label, url) {
    var p = document.createElement("p"); p.className = "link";
    p.appendChild(document.createTextNode(label + " "));
    var a = document.createElement("a"); a.href = url; a.textContent = url; a.rel = "noopener";
    p.appendChild(a);
    return p;
  }

  function connect() {
    clearTimeout(timer);
    setState("connecting");
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(proto + "//" + location.host + "/chat/ws");
    ws.onopen = function () {
      connected = true; backoff = 500;
      setState("online");
      ws.send(JSON.stringify({ type: "hello", last: lastSeq }));
      pending.forEach(function (p) {
        ws.send(JSON.stringify({ type: "send", cid: p.cid, msg: p.msg }));
      });
      if (!pending.length && lastSeq === 0) {
        setTimeout(function () {
          if (lastSeq === 0 && !pending.length && !$("log").children.length) {
            var li = document.createElement("li"); li.className = "empty"; li.textContent = S.empty;
            $("log").appendChild(li);
          }
        }, 1500);
      }
    };
    ws.onmessage = function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      if (data.type === "msg") { receive(data.seq, data.item); }
      else if (data.type === "ack") { acked(data.cid); }
    };
    ws.onclose = function () {
      connected = false;
      setState("offline");
      var wait = backoff + Math.random() * backoff * 0.3;
      backoff = Math.min(backoff * 2, 10000);
      timer = setTimeout(connect, wait);
    };
    ws.onerror = function () { /* onclose follows */ };
  }

  window.addEventListener("online", function () { if (!connected) { backoff = 500; connect(); } });

  if (cfg.loggedIn) { showChat(); } else { showLogin(); }
})();
