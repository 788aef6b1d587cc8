"use strict";
/*
 * The supervisor's wallboard: queues and operators live over /api/supervisor/live; an alarm (a threshold
 * crossed, a queue nobody on shift may take, a missed offer) turns its row red, is listed in words and
 * chimes once when it starts. A live conversation can be watched silently (masked) and the specialist
 * given a whisper. Everything a citizen typed goes on the page with textContent only.
 */
(() => {
  const root = document.getElementById("wallboard");
  const TEXT = JSON.parse(document.getElementById("wallboard-text").textContent);
  const SKILLS = JSON.parse(document.getElementById("wallboard-skills").textContent);
  const CSRF = root.dataset.csrf;
  const LANG = root.dataset.lang;
  const CHIME = "/operator/static/ring.wav";
  const view = {
    clockOffset: 0,
    alarms: new Set(), // the alarms shown last time (each chimes once, when it starts)
    chimes: localStorage.getItem("hotline.wallboard.sound") === "on",
    watching: null, // the conversation in the silent view, and its socket
    socket: null,
  };

  const $ = (id) => document.getElementById(id);
  const t = (key, values = {}) => (TEXT[key] || key).replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
  const now = () => Date.now() / 1000 + view.clockOffset;

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function duration(seconds) {
    const whole = Math.max(0, Math.round(seconds || 0));
    if (whole < 60) return t("seconds", { n: whole });
    if (whole < 3600) return t("minutes", { m: Math.floor(whole / 60), s: whole % 60 });
    return t("hours", { h: Math.floor(whole / 3600), m: Math.floor((whole % 3600) / 60) });
  }

  function clock(at) {
    return new Date(at * 1000).toLocaleTimeString(LANG === "ru" ? "ru-RU" : "uk-UA", { hour: "2-digit", minute: "2-digit" });
  }

  function queueTitle(name) {
    const split = name.lastIndexOf(":");
    return `${SKILLS[name.slice(0, split)] || name.slice(0, split)} · ${t(`lang_${name.slice(split + 1)}`)}`;
  }

  // ---- the board --------------------------------------------------------------------------------

  function draw(board) {
    view.clockOffset = board.now - Date.now() / 1000;
    $("thresholds").textContent = t("thresholds", board.thresholds);
    drawQueues(board.queues, board.thresholds);
    drawOperators(board.operators);
    drawAlarms(board);
  }

  function drawQueues(queues, thresholds) {
    $("no-queues").hidden = queues.length > 0;
    $("board-queues").querySelector("tbody").replaceChildren(
      ...queues.map((q) => {
        const row = el("tr");
        row.dataset.queue = q.queue;
        row.classList.toggle("alarm", q.alarms.length > 0);
        const waiting = q.offered ? `${q.waiting} (${t("col_offered")} ${q.offered})` : q.waiting;
        const level = q.service_level === null ? "—" : `${Math.round(q.service_level * 100)} %`;
        const cells = [
          [queueTitle(q.queue), q.alarms.includes("unserved") ? `⚠ ${t("nobody_can_take")}` : null],
          [waiting, q.alarms.includes("waiting") ? "⚠" : null],
          [duration(q.longest_wait), q.alarms.includes("longest") ? "⚠" : null],
          [duration(q.estimated_wait), null],
          [`${level} (${t("col_target", { n: thresholds.service_level_percent })})`, q.alarms.includes("service_level") ? "⚠" : null],
          [q.abandoned, null],
          [q.staffed, null],
        ];
        const head = el("th");
        head.scope = "row";
        row.append(head, ...cells.slice(1).map(() => el("td")));
        cells.forEach(([value, flag], index) => {
          const cell = row.children[index];
          cell.append(el("span", value));
          if (flag) {
            cell.classList.add("crossed");
            cell.append(" ", el("strong", flag, "flag"));
          }
        });
        return row;
      }),
    );
  }

  function drawOperators(operators) {
    $("no-operators").hidden = operators.length > 0;
    $("board-operators").querySelector("tbody").replaceChildren(
      ...operators.map((op) => {
        const row = el("tr");
        row.dataset.operator = op.id;
        row.classList.toggle("alarm", Boolean(op.alarm));
        const state = t(`state_${op.state}`) + (op.reason ? ` (${TEXT[`reason_${op.reason}`] || op.reason})` : "");
        const name = el("th", op.name);
        name.scope = "row";
        row.append(
          name,
          el("td", state, `state state-${op.state}`),
          el("td", op.since ? `${clock(op.since)} (${duration(now() - op.since)})` : "—"),
          nowCell(op),
          el("td", op.handled),
          el("td", op.average_handling === null ? "—" : duration(op.average_handling)),
        );
        return row;
      }),
    );
  }

  function nowCell(op) {
    const cell = el("td");
    if (op.offer) cell.append(el("p", t("offered_now", { queue: queueTitle(op.offer.queue) })));
    for (const held of op.conversations) {
      const line = el("p");
      line.append(`${queueTitle(held.queue)} · ${t(`channel_${held.channel}`)} · ${t(`kind_${held.kind}`)} · ${duration(now() - held.since)} `);
      const watch = el("button", t("watch"));
      watch.type = "button";
      watch.dataset.watch = held.conversation_id;
      watch.setAttribute("aria-label", `${t("watch")}: ${op.name}`);
      watch.addEventListener("click", () => openView(held.conversation_id));
      line.append(watch);
      cell.append(line);
    }
    return cell;
  }

  function alarmsOf(board) {
    const found = new Map(); // key → sentence
    for (const q of board.queues) {
      const queue = queueTitle(q.queue);
      for (const kind of q.alarms) {
        const values = {
          queue,
          n: kind === "service_level" ? Math.round((q.service_level || 0) * 100) : q.waiting,
          time: duration(kind === "unserved" ? now() - q.unserved_since : q.longest_wait),
        };
        found.set(`${kind}:${q.queue}`, t(`alarm_${kind}`, values));
      }
    }
    for (const op of board.operators) {
      if (op.alarm) found.set(`${op.alarm}:${op.id}`, t(`alarm_${op.alarm}`, { name: op.name }));
    }
    return found;
  }

  function drawAlarms(board) {
    const found = alarmsOf(board);
    $("alarms").replaceChildren(...[...found].map(([key, text]) => {
      const item = el("li", text);
      item.dataset.alarm = key;
      return item;
    }));
    $("no-alarms").hidden = found.size > 0;
    const started = [...found.keys()].some((key) => !view.alarms.has(key));
    view.alarms = new Set(found.keys());
    if (started && view.chimes) new Audio(CHIME).play().catch(() => {});
  }

  $("sound-on").addEventListener("click", () => {
    view.chimes = true;
    localStorage.setItem("hotline.wallboard.sound", "on");
    $("sound-on").textContent = t("sound_is_on");
    new Audio(CHIME).play().catch(() => {}); // this click lets the page play sounds from now on
  });
  if (view.chimes) $("sound-on").textContent = t("sound_is_on");

  // ---- the silent view --------------------------------------------------------------------------

  async function openView(conversationId) {
    closeView();
    view.watching = conversationId;
    $("silent").hidden = false;
    $("silent-log").replaceChildren();
    $("silent-context").replaceChildren();
    $("whisper-sent").textContent = "";
    if ($("unmask-form")) $("unmask-form").hidden = true;
    $("silent-title").focus();
    const response = await fetch(`/api/supervisor/conversations/${conversationId}?lang=${LANG}`);
    if (response.ok && view.watching === conversationId) showContext(await response.json());
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    view.socket = new WebSocket(`${scheme}://${location.host}/api/supervisor/conversations/${conversationId}/live?lang=${LANG}`);
    view.socket.addEventListener("message", (event) => watched(JSON.parse(event.data)));
  }

  function closeView() {
    if (view.socket) view.socket.close();
    view.socket = null;
    view.watching = null;
    $("silent").hidden = true;
  }

  function showContext(context) {
    const parts = [el("h3", t("path")), listOf(context.path.map((node) => node.title))];
    parts.push(el("h3", t("transcript")));
    const transcript = el("ol", null, "transcript");
    transcript.tabIndex = 0; // it scrolls: by keyboard too
    transcript.setAttribute("aria-label", t("transcript"));
    view.lang = context.lang;
    for (const turn of context.transcript) {
      if (!turn.text || turn.kind === "start") continue;
      const item = el("li", null, `turn turn-${turn.who}`);
      item.append(el("strong", `${t(turn.who)}: `), said(turn.text, turn.kind === "button" ? null : context.lang));
      transcript.append(item);
    }
    parts.push(transcript);
    $("silent-context").replaceChildren(...parts);
  }

  /** The citizen's (or the robot's) words, marked with the conversation's language (a button is named in ours). */
  function said(text, lang) {
    const span = el("span", text);
    if (lang) span.lang = lang;
    return span;
  }

  function listOf(items) {
    const list = el("ol", null, "path");
    list.append(...items.map((text) => el("li", text)));
    return list;
  }

  function watched(update) {
    if (update.type === "status") {
      const held = update.state === "connected";
      $("silent-status").textContent = held ? t("held_by", { name: update.operator }) : t("not_held");
      $("whisper-form").hidden = !held;
      if ($("unmask-form")) $("unmask-form").hidden = held || update.state !== "none";
    } else if (update.type === "message") {
      const who = { citizen: "citizen", operator: "specialist", note: "note", whisper: "whisper_from" }[update.sender];
      const item = el("p", null, `msg msg-${update.sender}`);
      item.dataset.id = update.id;
      const toCitizen = update.sender === "citizen" || update.sender === "operator";
      item.append(el("strong", `${t(who) || who}: `), said(update.text, toCitizen ? view.lang : null));
      $("silent-log").append(item);
      $("silent-log").scrollTop = $("silent-log").scrollHeight;
    }
  }

  $("close-view").addEventListener("click", closeView);

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": CSRF },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.message || data.detail || `HTTP ${response.status}`);
    return data;
  }

  function notice(text) {
    $("notice").textContent = text;
    $("notice").hidden = !text;
  }

  $("whisper-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("whisper").value.trim();
    if (!text || !view.watching) return;
    try {
      await post(`/api/supervisor/conversations/${view.watching}/whisper`, { text });
      $("whisper").value = "";
      $("whisper-sent").textContent = t("whisper_sent");
      notice("");
    } catch (error) {
      notice(t("failed", { message: error.message }));
    }
  });

  if ($("unmask-form")) {
    $("unmask-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const context = await post(`/api/supervisor/conversations/${view.watching}/unmask?lang=${LANG}`, {
          reason: $("unmask-reason").value,
        });
        showContext(context);
        $("silent-log").replaceChildren();
        for (const message of context.messages) watched({ type: "message", ...message });
        $("unmask-form").hidden = true;
        notice("");
      } catch (error) {
        notice(t("failed", { message: error.message }));
      }
    });
  }

  // ---- live -------------------------------------------------------------------------------------

  function connect(attempt = 0) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/api/supervisor/live`);
    socket.addEventListener("open", () => {
      attempt = 0;
      notice("");
    });
    socket.addEventListener("message", (event) => draw(JSON.parse(event.data)));
    socket.addEventListener("close", () => {
      notice(t("reconnecting"));
      setTimeout(() => connect(attempt + 1), Math.min(10000, 500 * 2 ** attempt));
    });
  }

  connect();
})();
