// The Flyte UI's only script: live updates (polling), the action tree, the action panel, reports,
// abort and rerun. Every piece of HTML it inserts comes from the server, which escapes it; text
// it makes itself goes through textContent.
(function () {
  "use strict";

  const csrf = (document.querySelector('meta[name="flyte-csrf"]') || {}).content || "";
  const body = document.body;
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $all = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const REPORT_SANDBOX = "allow-scripts allow-popups allow-popups-to-escape-sandbox allow-forms allow-modals allow-downloads";

  // ---------------------------------------------------------------------------- helpers

  function flash(text, kind) {
    const el = $("#flash");
    if (!el) return;
    el.textContent = text;
    el.className = "flash-" + (kind || "info");
    el.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(() => { el.hidden = true; }, kind === "error" ? 15000 : 6000);
  }

  async function check(resp) {
    const type = resp.headers.get("content-type") || "";
    const data = type.includes("application/json") ? await resp.json() : { error: await resp.text() };
    if (!resp.ok) {
      const err = new Error((data && data.error) || "HTTP " + resp.status);
      err.status = resp.status;
      throw err;
    }
    return data;
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(check);
  }

  function postJSON(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-Flyte-CSRF": csrf },
      body: JSON.stringify(data || {}),
    }).then(check);
  }

  function confirmDialog(title, message, okLabel) {
    const dialog = $("#confirm-dialog");
    return new Promise((resolve) => {
      $(".confirm-title", dialog).textContent = title;
      $(".confirm-message", dialog).textContent = message;
      $(".confirm-ok", dialog).textContent = okLabel;
      dialog.returnValue = "";
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
      dialog.showModal();
    });
  }

  // ---------------------------------------------------------------------------- runs page

  function runsPage() {
    const holder = $("#runs-table");
    const form = $("#run-filters");
    let last = holder.innerHTML;
    const params = () => {
      const p = new URLSearchParams();
      for (const [k, v] of new FormData(form)) if (v) p.set(k, v);
      const limit = new URLSearchParams(location.search).get("limit");
      if (limit) p.set("limit", limit);
      return p.toString();
    };
    async function refresh(userAction) {
      const query = params();
      if (userAction) history.replaceState(null, "", "/" + (query ? "?" + query : ""));
      try {
        const resp = await fetch("/fragments/runs?" + query, { credentials: "same-origin" });
        const html = await resp.text();
        if (!resp.ok) throw new Error(html);
        if (html !== last) holder.innerHTML = last = html;
      } catch (err) {
        if (userAction) flash(String(err.message || err), "error");
      }
    }
    form.addEventListener("submit", (ev) => { ev.preventDefault(); refresh(true); });
    $("#filter-phase").addEventListener("change", () => refresh(true));
    let typing;
    $("#filter-name").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => refresh(true), 250); });
    setInterval(() => { if (!document.hidden) refresh(false); }, 2000);
  }

  // ---------------------------------------------------------------------------- run page

  function runPage() {
    const runName = body.dataset.run;
    const api = "/api/runs/" + encodeURIComponent(runName);
    let terminal = body.dataset.terminal === "1";
    let runSig = body.dataset.runSig;
    let actionSig = body.dataset.actionSig;
    let selected = $("#detail").dataset.action || null;
    let report = { src: body.dataset.reportSrc || "", version: body.dataset.reportVersion || "" };
    let reportTab = null;
    const tree = { open: {}, closed: new Set() };

    // After each render: which nodes are open (and how many items they show) or closed, so that
    // the next render keeps them as the reader left them.
    function readTreeState() {
      for (const li of $all("#tree li[aria-expanded]")) {
        const key = li.dataset.key;
        if (li.getAttribute("aria-expanded") === "true") {
          const ul = li.querySelector(":scope > ul");
          tree.open[key] = ul ? parseInt(ul.dataset.shown, 10) || 100 : 100;
          tree.closed.delete(key);
        } else if (!(key in tree.open)) {
          tree.closed.add(key);
        }
      }
    }

    // Refreshes are serialized; parts asked for while one is under way are fetched right after it.
    const wanted = new Set();
    let refreshing = null;
    let reveal = false;
    function refresh(parts, revealSelected) {
      parts.forEach((p) => wanted.add(p));
      if (revealSelected) reveal = true;
      if (!refreshing) {
        refreshing = (async () => {
          try {
            while (wanted.size) {
              const list = Array.from(wanted);
              wanted.clear();
              const body = { parts: list, open: tree.open, closed: Array.from(tree.closed), selected: selected, reveal: reveal };
              reveal = false;
              const data = await postJSON(api + "/view", body);
              apply(data);
            }
          } catch (err) {
            flash("Could not refresh the page: " + (err.message || err), "error");
          } finally {
            refreshing = null;
          }
        })();
      }
      return refreshing;
    }

    function apply(data) {
      if (data.head !== undefined) $("#run-head").innerHTML = data.head;
      if (data.tree !== undefined) {
        const pane = $("#tree");
        const scroll = pane.scrollTop;
        pane.innerHTML = data.tree;
        pane.scrollTop = scroll;
        readTreeState();
        runSig = data.run;
      }
      if (data.detail && data.detail.id === selected) {
        showDetail(data.detail);
        actionSig = data.action;
      }
      terminal = data.terminal;
      body.dataset.terminal = terminal ? "1" : "0";
    }

    function showDetail(d) {
      const detail = $("#detail");
      if (detail.dataset.action !== d.id || !$("#detail-top")) {
        detail.innerHTML =
          '<div id="detail-top"></div><section id="detail-report" class="report" hidden><h3>Report</h3>' +
          '<div class="report-frames"></div></section><div id="detail-bottom"></div>';
        detail.dataset.action = d.id;
        report = { src: "", version: "" };
      }
      $("#detail-top").innerHTML = d.top;
      $("#detail-bottom").innerHTML = d.bottom;
      detail.classList.remove("stale");
      setReport(d.report);
    }

    // ------------------------------------------------------------------------ the report
    function setReport(r) {
      const section = $("#detail-report");
      if (!section) return;
      const frames = $(".report-frames", section);
      if (!r) {
        section.hidden = true;
        frames.textContent = "";
        report = { src: "", version: "" };
        return;
      }
      section.hidden = false;
      if (r.src === report.src && r.version === report.version && frames.querySelector("iframe")) return;
      report = { src: r.src, version: r.version };
      // A new version loads beside the one shown and replaces it once loaded: no blank flash, and
      // the tab the reader chose is shown again.
      frames.querySelectorAll("iframe.loading").forEach((f) => f.remove());
      const old = frames.querySelector("iframe.active");
      const frame = document.createElement("iframe");
      frame.className = "report-frame" + (old ? " loading" : " active");
      frame.setAttribute("sandbox", REPORT_SANDBOX);
      frame.setAttribute("referrerpolicy", "no-referrer");
      frame.title = "Report";
      if (old) frame.style.height = old.style.height;
      const showFrame = () => {
        if (!frame.isConnected || frame.classList.contains("active")) return;
        frame.classList.remove("loading");
        frame.classList.add("active");
        if (old && old !== frame) old.remove();
      };
      frame.addEventListener("load", () => {
        if (!frame.isConnected) return;
        if (!reportTab || !old) {
          showFrame();
          if (reportTab) frame.contentWindow.postMessage({ flyteReport: "show-tab", value: reportTab }, "*");
          return;
        }
        // Shown once the report has switched to the reader's tab (or after a moment, if it has no such tab).
        frame.revealReport = showFrame;
        frame.contentWindow.postMessage({ flyteReport: "show-tab", value: reportTab }, "*");
        setTimeout(showFrame, 400);
      }, { once: true });
      frame.src = r.src + (r.src.includes("?") ? "&" : "?") + "v=" + encodeURIComponent(r.version);
      frames.appendChild(frame);
      reportWindows.add(frame.contentWindow);
    }

    // Messages from report frames (the bridge the server adds to a report): its height, the tab
    // the reader clicked, and that it has shown the tab it was asked for. A frame may already be
    // replaced by a newer version when its message arrives: the reader's tab choice still counts.
    const reportWindows = new WeakSet();
    window.addEventListener("message", (ev) => {
      const msg = ev.data;
      if (!ev.source || !reportWindows.has(ev.source) || !msg || typeof msg !== "object") return;
      const frame = $all(".report-frames iframe").find((f) => f.contentWindow === ev.source);
      const active = $(".report-frames iframe.active");
      if (msg.flyteReport === "height" && typeof msg.value === "number" && isFinite(msg.value)) {
        if (frame) frame.style.height = Math.max(120, Math.min(Math.ceil(msg.value) + 4, 6000)) + "px";
      } else if (msg.flyteReport === "tab" && typeof msg.value === "string") {
        reportTab = msg.value.slice(0, 200);
        if (active && active !== frame) active.contentWindow.postMessage({ flyteReport: "show-tab", value: reportTab }, "*");
      } else if (msg.flyteReport === "shown" && frame && frame.revealReport) {
        frame.revealReport();
      }
    });

    // ------------------------------------------------------------------------ the tree
    function toggleNode(li) {
      const key = li.dataset.key;
      const ul = li.querySelector(":scope > ul");
      if (li.getAttribute("aria-expanded") === "true") {
        li.setAttribute("aria-expanded", "false");
        if (ul) ul.hidden = true;
        delete tree.open[key];
        tree.closed.add(key);
      } else {
        tree.closed.delete(key);
        if (ul) {
          li.setAttribute("aria-expanded", "true");
          ul.hidden = false;
          tree.open[key] = parseInt(ul.dataset.shown, 10) || 100;
        } else {
          tree.open[key] = 100;
          li.classList.add("loading");
          refresh(["tree"]);
        }
      }
    }

    function select(actionId) {
      if (!actionId) return;
      selected = actionId;
      actionSig = "";
      reportTab = null;
      for (const li of $all("#tree li.selected")) {
        li.classList.remove("selected");
        li.removeAttribute("aria-selected");
      }
      const li = $all("#tree li[data-action]").find((n) => n.dataset.action === actionId);
      if (li) {
        li.classList.add("selected");
        li.setAttribute("aria-selected", "true");
      }
      history.replaceState(null, "", location.pathname + "?action=" + encodeURIComponent(actionId));
      // Until the chosen action's panel arrives, the previous one (and its buttons) cannot be used.
      $("#detail").classList.add("stale");
      refresh(li && li.offsetParent !== null ? ["detail"] : ["tree", "detail"], true);
    }

    document.addEventListener("click", (ev) => {
      const t = ev.target;
      if (!(t instanceof Element)) return;
      const toggle = t.closest("#tree [data-toggle]");
      if (toggle) { ev.preventDefault(); toggleNode(toggle.closest("li")); return; }
      const more = t.closest("#tree [data-more]");
      if (more) {
        ev.preventDefault();
        tree.open[more.dataset.more] = parseInt(more.dataset.shown, 10);
        more.disabled = true;
        refresh(["tree"]);
        return;
      }
      const pick = t.closest("[data-select]");
      if (pick && ev.button === 0 && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey) {
        ev.preventDefault();
        select(pick.dataset.select);
        return;
      }
      const folderRow = t.closest("#tree li.folder > .row");
      if (folderRow) { toggleNode(folderRow.parentElement); return; }
      const actionRow = t.closest("#tree li.action > .row");
      if (actionRow && !t.closest("a, button")) { select(actionRow.parentElement.dataset.action); return; }
      const button = t.closest("[data-confirm]");
      if (button) { ev.preventDefault(); confirmAndDo(button); }
    });

    // ------------------------------------------------------------------------ abort and rerun
    async function confirmAndDo(button) {
      const kind = button.dataset.confirm;
      try {
        if (kind === "abort-run") {
          const ok = await confirmDialog(
            "Abort run " + runName + "?",
            "Every action still running is aborted and the run ends ABORTED (as `flyte abort " + runName + "`).",
            "Abort run");
          if (!ok) return;
          const data = await postJSON(api + "/abort", {});
          flash(data.message);
        } else if (kind === "abort-action") {
          const ok = await confirmDialog(
            "Abort action " + button.dataset.name + "?",
            "The action is cancelled and its caller gets flyte.errors.ActionAbortedError (as `flyte abort " +
              runName + " " + button.dataset.action + "`).",
            "Abort action");
          if (!ok) return;
          const data = await postJSON(api + "/abort", { action: button.dataset.action });
          flash(data.message);
        } else if (kind === "rerun") {
          const ok = await confirmDialog(
            "Rerun " + runName + "?",
            "Its task is imported again from its source file and runs as a new run; every action and trace " +
              "call that succeeded is replayed from the journal instead of executed (as `flyte rerun " + runName + "`).",
            "Rerun");
          if (!ok) return;
          const data = await postJSON(api + "/rerun", {});
          flash(data.message + " …");
          await followRerun(data);
        }
      } catch (err) {
        flash(String(err.message || err), "error");
      }
    }

    async function followRerun(data) {
      for (let i = 0; i < 1200; i++) {
        const s = await getJSON(data.status);
        if (s.state === "started") { location.assign(data.url); return; }
        if (s.state !== "starting") { flash("Rerun failed: " + s.message, "error"); return; }
        await sleep(250);
      }
      flash("The rerun " + data.run + " has not started after five minutes", "error");
    }

    // ------------------------------------------------------------------------ live updates
    async function tick() {
      try {
        const url = api + "/poll" + (selected ? "?action=" + encodeURIComponent(selected) : "");
        const p = await getJSON(url);
        const parts = [];
        if (p.run !== runSig || p.terminal !== terminal) parts.push("head", "tree");
        if (selected && p.action !== actionSig) parts.push("detail");
        if (parts.length) await refresh(parts);
        if (selected && report.src && p.report && p.report !== report.version) {
          setReport({ src: report.src, version: p.report });
        }
        if (p.terminal) terminal = true;
      } catch (err) {
        if (err.status === 404) { flash(String(err.message), "error"); return; }
      }
      schedule();
    }

    function schedule() {
      if (!terminal) setTimeout(tick, document.hidden ? 3000 : 500);
    }

    readTreeState();
    if (report.src) setReport({ src: report.src, version: report.version });
    schedule();
  }

  if (body.dataset.page === "runs") runsPage();
  else if (body.dataset.page === "run") runPage();
})();
