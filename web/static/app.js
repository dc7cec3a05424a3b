// autocred's UI script. The pages work without it; it adds the two-step
// form, the segment search, the token picker, the live preview and live
// refresh. Plain DOM, no build step.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Forms that ask before doing something that cannot be undone.
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
    // A form that must not post twice (Resend email, Retry) ignores a second
    // submit for a while; the server refuses a repeat too.
    var f = e.target;
    if (e.defaultPrevented || !f.hasAttribute("data-once")) return;
    if (f.getAttribute("data-sent")) return e.preventDefault();
    f.setAttribute("data-sent", "1");
    setTimeout(function () { f.removeAttribute("data-sent"); }, 10000);
  });

  // --- Times in the browser's time zone. The server writes each time as
  // <time datetime="…Z" title="… UTC">… UTC</time>; here its text becomes
  // the same instant in the browser's zone, the UTC time staying on hover.
  // A time inside a sentence (data-clock) is a clock time and its zone,
  // with its day when it is not today; "3 min ago" (data-ago) stays as it is, its UTC
  // time on hover.
  var browserZone = "";
  var localFormat = null, clockFormat = null, dayClockFormat = null, dayKey = null;
  try {
    browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    localFormat = new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
    // With the zone, as the tables say it ("GMT+9"): a time in a sentence
    // ("since 05:23 AM") read alone gives no hint whose 05:23 it is.
    clockFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
    dayClockFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
    dayKey = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit" });
  } catch (e) { /* an old browser: the UTC times stay */ }
  function localTimes(root) {
    if (!localFormat) return;
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d.getTime())) return;
      if (!el.title) el.title = el.textContent;
      if (el.hasAttribute("data-ago")) return;
      if (el.hasAttribute("data-clock")) {
        el.textContent = (dayKey.format(d) === dayKey.format(new Date()) ? clockFormat : dayClockFormat).format(d);
        return;
      }
      el.textContent = localFormat.format(d);
    });
  }
  localTimes(document);
  // The server cuts the charts' days in the browser's zone too (it reads
  // it from this cookie), so that a run's day in a chart is the day of
  // its time on the page. A page drawn before the server knew the zone,
  // or with another, is redrawn at once by its live refresh.
  var zoneChanged = false;
  if (browserZone) {
    var had = (document.cookie.match(/(?:^|; )tz=([^;]*)/) || [])[1];
    zoneChanged = had !== encodeURIComponent(browserZone);
    if (zoneChanged) document.cookie = "tz=" + encodeURIComponent(browserZone) + "; path=/; max-age=31536000; SameSite=Lax";
  }
  // Date filters are days of the browser's zone, as the times shown.
  document.querySelectorAll("input[data-browser-zone]").forEach(function (input) {
    if (browserZone) input.value = browserZone;
  });
  // A confirmation (?done=, "Retry queued.") is news once: shown, it
  // leaves the address, so that a reload or a copied link does not say it
  // again over what happened since.
  (function () {
    var u = new URL(location.href);
    if (!u.searchParams.has("done") || !window.history || !history.replaceState) return;
    u.searchParams.delete("done");
    u.searchParams.delete("at");
    history.replaceState(history.state, "", u.pathname + (u.search === "?" ? "" : u.search) + u.hash);
  })();
  // A link with entered days but no zone (shared, bookmarked) was read in
  // UTC or in the zone of an older visit: read it again in the browser's
  // zone, the one the page shows its times in.
  var daysZone = document.querySelector("[data-days-zone]");
  if (browserZone && daysZone && daysZone.getAttribute("data-days-zone") !== browserZone) {
    var here = new URL(location.href);
    if (!here.searchParams.get("tz")) {
      here.searchParams.set("tz", browserZone);
      location.replace(here.pathname + here.search + here.hash);
    }
  }
  // A download's times too (Download CSV): its link asks for the zone.
  document.querySelectorAll("a[data-browser-zone-link]").forEach(function (a) {
    if (!browserZone) return;
    var u = new URL(a.href, location.href);
    u.searchParams.set("tz", browserZone);
    a.href = u.pathname + u.search;
  });

  // A filter that applies as soon as it changes; a connection that
  // reloads its lists (the "Load" button, kept for use without script).
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.hasAttribute("data-autosubmit")) t.form.requestSubmit();
    var reload = t.getAttribute("data-reload");
    if (reload) document.getElementById(reload).click();
  });

  // --- The two steps of the automation form.
  var form = document.getElementById("automation-form");
  function showStep(step, focus) {
    form.setAttribute("data-step", step);
    form.querySelectorAll("[data-step-panel]").forEach(function (p) {
      p.hidden = p.getAttribute("data-step-panel") !== step;
    });
    document.querySelectorAll(".steps [data-tab]").forEach(function (t) {
      if (t.getAttribute("data-tab") === step) t.setAttribute("aria-current", "step");
      else t.removeAttribute("aria-current");
    });
    if (focus) {
      var h = form.querySelector("[data-step-panel='" + step + "'] h2");
      h.tabIndex = -1;
      h.focus();
    }
    if (step === "action") schedulePreview(0);
  }
  if (form) {
    document.addEventListener("click", function (e) {
      var link = e.target.closest("[data-goto], .steps a");
      if (!link) return;
      e.preventDefault();
      showStep(link.getAttribute("data-goto") || link.closest("[data-tab]").getAttribute("data-tab"), true);
    });
    showStep(form.getAttribute("data-step") || "trigger", false);
  }

  // --- Segment search.
  document.querySelectorAll("[data-filter]").forEach(function (input) {
    var list = document.querySelector(input.getAttribute("data-filter"));
    var empty = input.parentNode.querySelector("[data-filter-empty]");
    input.hidden = false;
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase(), shown = 0;
      list.querySelectorAll("[data-name]").forEach(function (el) {
        var match = el.getAttribute("data-name").toLowerCase().indexOf(q) >= 0;
        el.hidden = !match;
        if (match) shown++;
      });
      if (empty) empty.hidden = shown > 0;
    });
  });

  // --- Token picker: typing {{ or pressing + lists the tokens; arrows
  // move, Enter or a click inserts, Escape closes.
  var tokensEl = document.getElementById("tokens");
  var tokens = tokensEl ? JSON.parse(tokensEl.textContent) : [];
  var picker = document.getElementById("token-list");
  var pick = null; // {input, start, end, items, active}
  var picked = false; // a token was just inserted with Enter

  function openPicker(input, filter, start, end) {
    var items = tokens.filter(function (t) { return t.toLowerCase().indexOf(filter.toLowerCase()) >= 0; });
    if (!items.length) return closePicker();
    pick = { input: input, start: start, end: end, items: items, active: 0 };
    picker.innerHTML = "";
    items.forEach(function (t, i) {
      var li = document.createElement("li");
      li.id = "token-" + i;
      li.setAttribute("role", "option");
      li.textContent = "{{" + t + "}}";
      li.addEventListener("mousedown", function (e) { e.preventDefault(); insertToken(i); });
      picker.appendChild(li);
    });
    input.parentNode.appendChild(picker);
    input.setAttribute("aria-controls", "token-list");
    input.setAttribute("aria-expanded", "true");
    picker.hidden = false;
    highlight();
  }
  function closePicker() {
    if (!pick) return;
    pick.input.setAttribute("aria-expanded", "false");
    pick.input.removeAttribute("aria-activedescendant");
    picker.hidden = true;
    pick = null;
  }
  function highlight() {
    picker.querySelectorAll("li").forEach(function (li, i) {
      li.setAttribute("aria-selected", i === pick.active ? "true" : "false");
    });
    var li = document.getElementById("token-" + pick.active);
    pick.input.setAttribute("aria-activedescendant", li.id);
    li.scrollIntoView({ block: "nearest" });
  }
  function insertToken(i) {
    var p = pick, v = p.input.value, text = "{{" + p.items[i] + "}}";
    p.input.value = v.slice(0, p.start) + text + v.slice(p.end);
    var caret = p.start + text.length;
    p.input.setSelectionRange(caret, caret);
    closePicker();
    p.input.focus();
    p.input.dispatchEvent(new Event("input", { bubbles: true }));
  }
  if (form && picker) {
    form.addEventListener("input", function (e) {
      if (!e.target.hasAttribute("data-mapping")) return;
      var input = e.target, caret = input.selectionStart;
      var m = /\{\{([\w.+ -]*)$/.exec(input.value.slice(0, caret));
      if (m) openPicker(input, m[1].trim(), caret - m[0].length, caret);
      else closePicker();
    });
    form.addEventListener("keydown", function (e) {
      if (!pick || e.target !== pick.input) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        var n = pick.items.length;
        pick.active = (pick.active + (e.key === "ArrowDown" ? 1 : n - 1)) % n;
        highlight();
      } else if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        picked = true;
        insertToken(pick.active);
      } else if (e.key === "Escape") {
        e.preventDefault();
        closePicker();
      }
    });
    // The Enter that picked a token must not also submit the form, even
    // where its keypress arrives on its own.
    form.addEventListener("keypress", function (e) {
      if (picked && e.key === "Enter") e.preventDefault();
    });
    form.addEventListener("keyup", function () { picked = false; });
    form.addEventListener("focusout", function (e) {
      if (pick && e.target === pick.input) closePicker();
    });
    form.addEventListener("click", function (e) {
      var btn = e.target.closest("[data-token-for]");
      if (!btn) return;
      var input = document.getElementById(btn.getAttribute("data-token-for"));
      input.focus();
      var at = input.selectionStart == null ? input.value.length : input.selectionStart;
      openPicker(input, "", at, at);
    });
  }

  // A message from the last save about an input stays until the input is
  // edited; then the live preview speaks for it. While it stays, the
  // preview does not repeat it: each mistake is said once. The message
  // follows the input's preview line (templates: "mapping", time zone),
  // or the input itself (name, group, sync interval).
  function serverError(previewEl) {
    var el = previewEl.nextElementSibling;
    return el && el.hasAttribute("data-save-error") ? el : null;
  }
  function clearServerError(input) {
    if (!input.name || input.type === "radio") return;
    var pv = form.querySelector("[data-preview-for='" + CSS.escape(input.name) + "']");
    var err = pv ? serverError(pv) : serverError(input);
    if (!err) return;
    input.removeAttribute("aria-invalid");
    err.remove();
    countToFix();
  }
  // Each step's tab counts the save's messages still shown in it; the
  // alert that both steps have some goes once one has none.
  function countToFix() {
    form.querySelectorAll("[data-step-panel]").forEach(function (panel) {
      var step = panel.getAttribute("data-step-panel");
      var mark = document.querySelector(".steps [data-tab='" + step + "'] .to-fix");
      if (!mark) return;
      var n = panel.querySelectorAll("[data-save-error]").length;
      if (n) mark.textContent = n + " to fix";
      else mark.remove();
    });
    var both = document.querySelector("[data-both-steps]");
    if (both && document.querySelectorAll(".steps .to-fix").length < 2) both.remove();
  }
  if (form) {
    form.addEventListener("input", function (e) { clearServerError(e.target); });
    form.addEventListener("change", function (e) { clearServerError(e.target); });
  }

  // --- Live preview of the mapping for a real contact of the segment.
  var previewTimer = null, previewSeq = 0;
  function schedulePreview(delay) {
    if (!form || !form.getAttribute("data-preview-url")) return;
    clearTimeout(previewTimer);
    previewTimer = setTimeout(runPreview, delay);
  }
  function runPreview() {
    var seq = ++previewSeq;
    var status = form.querySelector("[data-preview-status]");
    var body = new URLSearchParams(new FormData(form));
    fetch(form.getAttribute("data-preview-url"), { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (res) {
        if (seq !== previewSeq) return; // a newer preview is on its way
        form.querySelectorAll("[data-preview-for]").forEach(function (el) {
          el.textContent = "";
          el.className = "preview";
        });
        if (!res.ok) {
          // A whole sentence from the server ("Connect ActiveCampaign
          // first to see a preview.", "No preview: …").
          status.textContent = res.j.error.message;
          return;
        }
        var p = res.j;
        var email = p.contact_email ? "<" + p.contact_email + ">" : "(no email)";
        var who = p.contact_id ? (p.contact_name ? p.contact_name + " " + email : (p.contact_email || "contact " + p.contact_id + " (no email)")) : "";
        var zone = " Dates are taken in " + p.time_zone + ".";
        var note = p.note ? " " + p.note : "";
        if (who) {
          status.textContent = "Preview for " + who + (p.in_segment ? ", a member of the segment." : ".") + note + zone;
        } else {
          status.textContent = (p.note || "No contact to preview with.") + zone;
        }
        offerMatches(p.matches || []);
        (p.fields || []).forEach(function (f) {
          var el = form.querySelector("[data-preview-for='" + f.field + "']");
          if (!el) return;
          var warn = (f.warning ? " (" + f.warning + ")" : "") + (f.cleaned ? " " + f.cleaned : "");
          if (f.error && serverError(el)) {
            return; // the save's message beside the input says it already
          } else if (f.error) {
            el.textContent = (f.value !== "" ? "→ " + f.value + ": " : "") + f.error + warn;
            el.className = "preview bad";
          } else if (p.contact_id) {
            el.textContent = "→ " + (f.value === "" ? "(empty)" : f.value) + warn;
            el.className = f.warning ? "preview warn" : "preview ok";
          } else if (f.warning) {
            el.textContent = f.warning;
            el.className = "preview warn";
          }
        });
      })
      .catch(function () {
        if (seq === previewSeq) status.textContent = "No preview: the server could not be reached.";
      });
  }
  // The contacts that match what was typed in Preview for, when several
  // do, are offered as its suggestions: picking one (its email) previews
  // for that contact.
  function offerMatches(matches) {
    var input = document.getElementById("preview-contact");
    var list = document.getElementById("preview-matches");
    if (!input || !list) return;
    list.innerHTML = "";
    matches.forEach(function (m) {
      if (!m.email) return;
      var o = document.createElement("option");
      o.value = m.email;
      o.label = m.name ? m.name + " <" + m.email + ">" : m.email;
      o.textContent = o.label;
      list.appendChild(o);
    });
  }
  if (form) {
    form.addEventListener("input", function () { schedulePreview(400); });
    form.addEventListener("change", function () { schedulePreview(400); });
  }

  // --- Live refresh: each [data-live] element polls its URL every 2 s and
  // replaces the [data-region] parts that changed, in place.
  document.querySelectorAll("[data-live]").forEach(function (root) {
    var url = root.getAttribute("data-live"), last = {};
    function poll() {
      if (document.hidden) return setTimeout(poll, 2000);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (r.status === 401) { window.location.reload(); throw new Error("signed out"); }
          return r.json();
        })
        .then(function (j) {
          Object.keys(j.regions || {}).forEach(function (name) {
            var html = j.regions[name], el = document.querySelector("[data-region='" + name + "']");
            if (el && last[name] !== html) {
              el.innerHTML = html;
              localTimes(el);
              showTapped();
              last[name] = html;
            }
          });
        })
        .catch(function () {})
        .then(function () { setTimeout(poll, 2000); });
    }
    setTimeout(poll, zoneChanged ? 0 : 2000);
  });

  // A chart's bar says its day's numbers when tapped (a phone has no
  // hover for its tooltip) or clicked, in the line under the chart. The
  // live refresh redraws the charts: the bar tapped is shown again.
  var tapped = null; // {chart, bar}: indexes of the svg.chart and of its bar
  function showTip(bar) {
    var svg = bar.closest("svg.chart");
    var tip = svg.nextElementSibling;
    if (!tip || !tip.classList.contains("chart-tip")) {
      tip = document.createElement("p");
      tip.className = "chart-tip";
      tip.setAttribute("role", "status");
      svg.parentNode.insertBefore(tip, svg.nextSibling);
    }
    tip.textContent = bar.querySelector("title").textContent;
  }
  function showTapped() {
    if (!tapped) return;
    var svg = document.querySelectorAll("svg.chart")[tapped.chart];
    var bar = svg && svg.querySelectorAll("g")[tapped.bar];
    if (bar && bar.querySelector("title")) showTip(bar);
  }
  document.addEventListener("click", function (e) {
    var bar = e.target.closest && e.target.closest("svg.chart g");
    if (!bar || !bar.querySelector("title")) return;
    var svg = bar.closest("svg.chart");
    tapped = {
      chart: Array.prototype.indexOf.call(document.querySelectorAll("svg.chart"), svg),
      bar: Array.prototype.indexOf.call(svg.querySelectorAll("g"), bar)
    };
    showTip(bar);
  });
})();
