"use strict";
const $ = (id) => document.getElementById(id);
/*
 * Operator console: live state over a WebSocket (/api/operator/live), actions as JSON posts with the
 * session's CSRF token. Everything a citizen typed goes on the page with textContent only.
 */

const root = document.getElementById("console");
const TEXT = JSON.parse(document.getElementById("console-text").textContent);
const SKILLS = JSON.parse(document.getElementById("console-skills").textContent); // queue skill → its title
const TITLE = document.title;
const CSRF = root.dataset.csrf;
const LANG = root.dataset.lang;
const RECONNECT_MAX_MS = 10000;
const SENDERS = { citizen: "citizen", operator: "specialist", note: "sender_note", whisper: "sender_whisper" };
// Said in the citizen's language (notes and whispers are the staff's own words).
const TO_THE_CITIZEN = new Set(["citizen", "operator"]);
const REMIND_AT = 10; // seconds left on an offer when a screen reader is reminded of it (WCAG 2.2.1)
const MORE_TIME = Number($("more-time").dataset.most); // times more time may be asked for on one offer

const view = {
  clockOffset: 0, // server seconds minus browser seconds
  offer: null, // the offered entry
  held: null, // the conversation I hold that is on screen
  conversations: [], // every conversation I hold, the first taken first
  focus: null, // the id of the one on screen (chosen by the operator, or the newest taken)
  wrapUp: null, // the conversation waiting for my wrap-up
  messages: new Map(), // conversation id → (message id → message)
  unread: new Map(), // conversation id → the citizen's messages not seen on screen yet
  shownAt: new Map(), // conversation id → when (server time) this page first showed it
  drafts: new Map(), // conversation id → the reply being written there
  contexts: new Map(), // conversation id → the robot's context, fetched once
  earlier: new Map(), // conversation id → the citizen's earlier conversations, fetched once
  canned: new Map(), // "lang skill" → the admins' ready replies, fetched once
  socket: null, // the live WebSocket (typing and seen go back over it)
  typing: new Map(), // conversation id → until when its citizen is shown typing
  seenUpto: new Map(), // conversation id → the last of my messages its citizen has seen
  seenSaid: new Map(), // conversation id → the last of their messages I said I saw
  typingSaid: 0, // when I last said I type
  reminded: null, // the offer deadline the operator was reminded of
  moreTimes: 0, // times more time was given on the offer shown
};

function t(key, values = {}) {
  const text = TEXT[key] || key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
}

// ---- talking to the server ------------------------------------------------------------------

async function post(path, body = {}) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": CSRF },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 || response.status === 403) await checkSession(); // 403: no CSRF token without one
  if (!response.ok) {
    const error = new Error(data.message || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

/** Runs one action; a failure is shown, in the console's language where the status says enough. */
async function act(work, conflict = t("not_yours")) {
  hideNotice();
  try {
    return await work();
  } catch (error) {
    const known = { 409: conflict, 502: t("call_failed"), 503: noLine() }[error.status];
    showNotice(known || t("failed", { message: error.message }));
    return null;
  }
}

/** Why a call cannot be connected on this server, with the settings it lacks. */
function noLine() {
  return t("no_phone_line", { settings: Object.values(view.cannotConnect || {}).flat().join(", ") });
}

/** When the session is over (logged out, or it expired): back to the login form, then here again. */
async function checkSession() {
  const found = await fetch("/api/operator/state").catch(() => null);
  if (found && found.status === 401) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
  }
}

function connect(attempt = 0) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/operator/live`);
  view.socket = socket;
  socket.addEventListener("open", () => {
    attempt = 0;
    hideNotice();
    view.seenSaid.clear(); // said again to a new socket: the server keeps only the furthest
    reportSeen();
  });
  socket.addEventListener("message", (event) => receive(JSON.parse(event.data)));
  socket.addEventListener("close", async () => {
    showNotice(t("reconnecting"));
    await checkSession();
    const delay = Math.min(RECONNECT_MAX_MS, 500 * 2 ** attempt);
    setTimeout(() => connect(attempt + 1), delay);
  });
}

function receive(update) {
  if (update.type === "typing") {
    view.typing.set(update.conversation_id, Date.now() + TYPING_SHOWN_MS);
    drawTyping();
    setTimeout(drawTyping, TYPING_SHOWN_MS + 50);
  } else if (update.type === "seen") {
    view.seenUpto.set(update.conversation_id, Math.max(view.seenUpto.get(update.conversation_id) || 0, update.upto));
    if (view.held && update.conversation_id === view.held.conversation_id) drawMessages();
  } else if (update.type === "state") showState(update);
  else if (update.type === "message") {
    const id = update.conversation_id;
    if (!view.messages.has(id)) view.messages.set(id, new Map());
    const known = view.messages.get(id).has(update.id);
    view.messages.get(id).set(update.id, update);
    // Unread: the citizen wrote while another conversation was on screen (history from before this page: not).
    const late = Date.parse(update.at) / 1000 >= (view.shownAt.get(id) || Infinity);
    if (!known && update.sender === "citizen" && late && (id !== view.focus || document.hidden)) {
      view.unread.set(id, (view.unread.get(id) || 0) + 1);
      drawConversations();
      // Another chat on the list: a screen reader says so (its log is not on screen, so not live).
      const number = view.conversations.findIndex((c) => c.conversation_id === id) + 1;
      if (id !== view.focus && number) announce(t(update.crisis ? "crisis_in" : "message_in", { n: number }));
    }
    if (update.sender === "citizen") view.typing.delete(id); // what they typed has come
    if (view.held && id === view.held.conversation_id) drawMessages();
  }
}

// ---- typing and seen (never stored: specialist_queue/presence.py) -----------------------------------

const TYPING_SHOWN_MS = 5000; // "typing…" goes unless they type on (their page says so every few seconds)
const TYPING_EVERY_MS = 2500; // how often this console says I type, at most

function tell(frame) {
  if (view.socket && view.socket.readyState === WebSocket.OPEN) view.socket.send(JSON.stringify(frame));
}

function drawTyping() {
  const id = view.held && view.held.conversation_id;
  $("citizen-typing").hidden = !id || (view.typing.get(id) || 0) < Date.now();
}

/** The citizen's messages of the conversation on screen, while the console is in view: they see I read them. */
function reportSeen() {
  if (!view.held || document.hidden) return;
  const id = view.held.conversation_id;
  const theirs = [...(view.messages.get(id) || new Map()).values()].filter((m) => m.sender === "citizen");
  const upto = Math.max(0, ...theirs.map((m) => m.id));
  if (upto > (view.seenSaid.get(id) || 0)) {
    view.seenSaid.set(id, upto);
    tell({ type: "seen", conversation_id: id, upto });
  }
}

// ---- the live state -------------------------------------------------------------------------

function showState(update) {
  const focused = document.activeElement;
  view.clockOffset = update.now - Date.now() / 1000;
  view.cannotConnect = update.cannot_connect; // channel → the settings this server lacks to connect it
  const me = update.operator;
  $("my-state").textContent = t(`state_${me.state}`);
  $("my-reason").textContent = me.reason ? `(${TEXT[`reason_${me.reason}`] || me.reason})` : "";
  showConversations(update.conversations, me.capacity, update.now);
  showOffer(update.offer);
  showWrapUp(me.wrap_ups[0] || null);
  drawQueues(update.queues);
  const lost = document.activeElement === focused || document.activeElement === document.body; // not given on
  if (focused && focused !== document.body && focused.getClientRects().length === 0 && lost) focusNextAction();
}

/**
 * The focus never falls to the page when what had it goes (Accept once the chat is mine, End once the
 * wrap-up comes, Save once it is done, an offer that ran out): it lands on what the operator does next.
 */
function focusNextAction() {
  const held = view.held;
  let next = $("state-title"); // nothing to do: where they hear their state
  if (!$("wrap-up").hidden) next = $("disposition");
  else if (held) next = held.kind === "chat" ? $("reply") : $("end");
  else if (view.offer) next = $("accept");
  next.focus();
}

/** Said at once by a screen reader (emptied first, so the same words are said again for a new offer). */
function announce(text) {
  const box = $("announce");
  box.textContent = "";
  setTimeout(() => (box.textContent = text), 100);
}

function secondsLeft() {
  return Math.max(0, Math.round(view.offer.deadline - (Date.now() / 1000 + view.clockOffset)));
}

function showOffer(offer) {
  const changed = (offer && offer.conversation_id) !== (view.offer && view.offer.conversation_id);
  const missed = changed && view.offer && !offer && !view.held;
  view.offer = offer;
  $("offer").hidden = !offer;
  drawConversations(); // the tab's title says it: seen from another tab too
  $("no-offer").hidden = Boolean(offer) || Boolean(view.held);
  // A call cannot reach my phone on this server: said before I accept it, with what the admins should set.
  const missing = offer && offer.kind === "call" && view.cannotConnect[offer.channel];
  $("offer-no-line").hidden = !missing;
  if (missing) $("offer-no-line").textContent = noLine();
  if (offer && changed) {
    $("offer-title").textContent = t(offer.kind === "callback" ? "offer_callback" : "offer");
    $("accept").removeAttribute("aria-disabled");
    $("more-time").hidden = false;
    view.moreTimes = 0;
    const what = t(offer.priority === "emergency" ? "offer_emergency" : "offer");
    const channel = TEXT[`channel_${offer.channel}`] || offer.channel;
    $("offer-summary").textContent = `${channel} · ${queueTitle(offer.queue)}`;
    const left = secondsLeft();
    view.reminded = left <= REMIND_AT ? offer.deadline : null; // said with the offer: no reminder on top
    announce(t("offer_says", { offer: what, channel, queue: queueTitle(offer.queue), n: left }));
    fillContext("offer", offer);
  } else if (missed) {
    announce(t("offer_gone"));
  }
  drawCountdown();
}

/** The countdown, and once per deadline a spoken reminder shortly before it runs out. */
function drawCountdown() {
  if (!view.offer) return;
  const left = secondsLeft();
  $("offer-left").textContent = t("offer_left", { n: left });
  if (left > 0 && left <= REMIND_AT && view.reminded !== view.offer.deadline) {
    view.reminded = view.offer.deadline;
    announce(t("offer_reminder", { n: left }));
  }
}

/** The conversations I hold: the list with unread counts, and the one on screen (a new one comes on screen). */
function showConversations(conversations, capacity, now) {
  const ids = conversations.map((c) => c.conversation_id);
  const fresh = ids.filter((id) => !view.shownAt.has(id));
  for (const id of fresh) view.shownAt.set(id, now);
  for (const id of [...view.shownAt.keys()]) {
    if (!ids.includes(id)) for (const known of [view.shownAt, view.unread, view.messages, view.drafts]) known.delete(id);
  }
  view.conversations = conversations;
  view.capacity = capacity;
  const moving = fresh.length || !ids.includes(view.focus);
  if (moving && view.held && ids.includes(view.held.conversation_id)) {
    view.drafts.set(view.held.conversation_id, $("reply").value); // kept for when I come back to it
  }
  if (fresh.length) view.focus = fresh[fresh.length - 1]; // the one just accepted comes on screen
  else if (!ids.includes(view.focus)) view.focus = ids[0] || null;
  showConversation(conversations.find((c) => c.conversation_id === view.focus) || null);
  drawConversations();
}

function drawConversations() {
  const list = $("conversation-list");
  // The list is drawn anew: a button of it that had the focus gives it to its successor.
  const focused = list.contains(document.activeElement) ? document.activeElement.dataset.conversation : null;
  $("my-conversations").hidden = view.conversations.length === 0;
  const count = (kinds) => view.conversations.filter((c) => kinds.includes(c.kind)).length;
  if (view.capacity) {
    const calls = count(["call", "callback"]);
    $("load").textContent = `(${t("load", { chats: count(["chat"]), most: view.capacity.chats, calls, calls_most: view.capacity.calls })})`;
  }
  list.replaceChildren(
    ...view.conversations.map((c, index) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "pick";
      button.dataset.conversation = c.conversation_id;
      if (c.conversation_id === view.focus) button.setAttribute("aria-current", "true");
      const channel = TEXT[`channel_${c.channel}`] || c.channel;
      button.textContent = `${index + 1}. ${t(`kind_${c.kind}`)} · ${channel} · ${queueTitle(c.queue)}`;
      const unread = view.unread.get(c.conversation_id) || 0;
      if (unread) {
        const badge = document.createElement("strong");
        badge.className = "unread";
        badge.textContent = t("unread", { n: unread });
        button.append(" ", badge);
      }
      button.addEventListener("click", () => pick(c.conversation_id));
      item.append(button);
      return item;
    }),
  );
  if (focused) list.querySelector(`[data-conversation="${focused}"]`)?.focus();
  const total = [...view.unread.values()].reduce((a, b) => a + b, 0);
  document.title = `${view.offer ? `● ${t("offer")} — ` : ""}${total ? `(${total}) ` : ""}${TITLE}`;
}

/** Put a conversation I hold on screen (the list, Alt+1…9, Alt+↓/↑); the draft of the one left is kept. */
function pick(conversationId) {
  if (!view.conversations.some((c) => c.conversation_id === conversationId)) return;
  if (view.held) view.drafts.set(view.held.conversation_id, $("reply").value);
  view.focus = conversationId;
  view.unread.delete(conversationId);
  showConversation(view.conversations.find((c) => c.conversation_id === conversationId));
  drawConversations();
}

function showConversation(held) {
  const changed = (held && held.conversation_id) !== (view.held && view.held.conversation_id);
  view.held = held;
  $("conversation").hidden = !held;
  if (held && held.kind === "callback") {
    // Reached: the call goes on; the outcome buttons go, and "End conversation" leads to the wrap-up.
    $("callback-outcomes").hidden = Boolean(held.reached);
    $("callback-reached").hidden = !held.reached;
  }
  if (!held || !changed) return;
  view.unread.delete(held.conversation_id);
  $("reply").value = view.drafts.get(held.conversation_id) || "";
  drawMessages();
  $("reply").lang = held.lang || ""; // the citizen's language: read and spell-checked as such
  const isCallback = held.kind === "callback";
  $("on-phone").hidden = held.kind !== "call";
  $("callback").hidden = !isCallback;
  $("chat").hidden = held.kind !== "chat";
  if (isCallback && held.phone) {
    $("callback-phone").textContent = held.phone;
    $("callback-phone").href = `tel:${held.phone}`;
  } else if (isCallback) {
    $("callback-phone").textContent = t("listen_only"); // a hidden number's voice message
    $("callback-phone").removeAttribute("href");
  }
  fillContext("conversation", held);
  resetTransfer(held);
}

function showWrapUp(conversationId) {
  view.wrapUp = conversationId;
  $("wrap-up").hidden = !conversationId;
  linkCase(view.held ? view.held.conversation_id : conversationId);
}

/** The registry case form, filled in with this conversation (it opens in a tab of its own). */
function linkCase(conversationId) {
  if (!conversationId) return;
  for (const link of document.querySelectorAll(".open-case")) {
    link.href = `/operator/cases/new?conversation=${encodeURIComponent(conversationId)}`;
  }
}

async function fillContext(where, entry) {
  const box = document.querySelector(`.context[data-for="${where}"]`);
  box.replaceChildren(facts(entry));
  const id = entry.conversation_id;
  const cached = view.contexts.get(id);
  // A voice message's transcription comes later than the recording: ask again until it has come.
  const awaiting = cached && cached.voice_message && !cached.voice_message.transcription_status;
  if (!cached || awaiting) {
    const response = await fetch(`/api/operator/conversations/${id}?lang=${LANG}`);
    if (!response.ok) return;
    view.contexts.set(id, await response.json());
  }
  box.append(...robotContext(view.contexts.get(id), entry.lang), ...(await earlierContacts(id)));
}

function facts(entry) {
  const list = document.createElement("dl");
  list.className = "facts";
  const rows = [
    ["kind", t(`kind_${entry.kind}`)],
    // A callback says so before it is accepted: whom to call, and when we promised to.
    ...(entry.kind === "callback"
      ? [["number", entry.phone || t("hidden_number")], ["due", t("due_from", { time: clock(entry.due) })]]
      : []),
    ...(entry.kind === "callback" && entry.attempts ? [["attempts", String(entry.attempts)]] : []),
    ["channel", TEXT[`channel_${entry.channel}`] || entry.channel],
    ["language", t(`lang_${entry.lang}`)],
    ["queue", queueTitle(entry.queue)],
    ["priority", t(`priority_${entry.priority}`)],
    ["waited", duration(entry.waited)],
  ];
  for (const [key, value] of rows) {
    const term = document.createElement("dt");
    term.textContent = t(key);
    const detail = document.createElement("dd");
    detail.textContent = value;
    if (key === "priority" && entry.priority === "emergency") detail.className = "urgent";
    list.append(term, detail);
  }
  return list;
}

/** What the robot knew, the citizen's and the robot's words marked with the conversation's language. */
/** The citizen's earlier conversations (same messenger user or phone number), fetched once per conversation. */
async function earlierContacts(id) {
  if (!view.earlier.has(id)) {
    const response = await fetch(`/api/operator/conversations/${id}/earlier?lang=${LANG}`);
    view.earlier.set(id, response.ok ? await response.json() : []);
  }
  const found = view.earlier.get(id);
  if (!found.length) return [heading(t("earlier")), paragraph(t("earlier_none"))];
  const list = document.createElement("ol");
  list.className = "earlier";
  for (const c of found) {
    const item = document.createElement("li");
    const where = [clock(Date.parse(c.started_at) / 1000), TEXT[`channel_${c.channel}`] || c.channel];
    if (c.about) where.push(c.about);
    if (!c.with_specialist) where.push(t("earlier_robot"));
    item.textContent = where.join(" · ") + (c.note ? ` — «${c.note}»` : "");
    list.append(item);
  }
  return [heading(t("earlier")), list];
}

/** A time of day (and the date when it is not today), in the console's language. */
function clock(seconds) {
  const when = new Date(seconds * 1000);
  const today = when.toDateString() === new Date().toDateString();
  const options = today ? { hour: "2-digit", minute: "2-digit" } : { dateStyle: "short", timeStyle: "short" };
  return when.toLocaleString(LANG === "ru" ? "ru-UA" : "uk-UA", options);
}

/** One turn of what came before the specialist: a phone caller's key or words as they were, or a chat's text. */
function turnText(turn) {
  if (turn.kind === "digit") {
    const pressed = t(turn.option ? "pressed" : "typed", { key: turn.text });
    return turn.option ? `${pressed} → ${turn.option}` : pressed;
  }
  if (turn.kind === "no_input") return `(${t("silence")})`;
  if (turn.kind === "speech" && turn.confidence != null) {
    return `«${turn.text}» (${t("confidence", { n: Math.round(turn.confidence * 100) })})`;
  }
  if (turn.kind === "speech") return `«${turn.text}»`;
  if (turn.keys && turn.keys.length) {
    return `${turn.text} [${turn.keys.map((k) => `${k.key} — ${k.label}`).join(" · ")}]`;
  }
  return turn.text;
}

function robotContext(context, lang) {
  const parts = context.voice_message ? voiceMessage(context.voice_message, context) : [];
  if (context.transfers && context.transfers.length) parts.unshift(...transfers(context.transfers));
  if (context.callback) {
    const when = paragraph(`${t("requested_at")}: ${clock(Date.parse(context.callback.requested_at) / 1000)}`);
    parts.unshift(heading(t("callback")), when);
  }
  if (context.screening && context.screening.length) parts.push(...screeningAnswers(context.screening));
  parts.push(heading(t("path")), listOf(context.path.map((node) => node.title), "path"));
  if (context.intents.length) {
    parts.push(heading(t("intents")), listOf(context.intents.map((i) => `${i.title} (${i.score})`), "intents"));
  }
  parts.push(heading(t("transcript")));
  const transcript = document.createElement("ol");
  transcript.className = "transcript";
  // Focusable and named, so the history scrolls by keyboard in every browser.
  transcript.tabIndex = 0;
  transcript.setAttribute("aria-label", t("transcript"));
  for (const turn of context.transcript) {
    if (turn.kind === "start" || (!turn.text && turn.kind !== "no_input")) continue;
    const item = document.createElement("li");
    item.className = `turn turn-${turn.who}`;
    const who = document.createElement("strong");
    who.textContent = `${t(turn.who)}: `;
    const said = document.createElement("span");
    said.textContent = turnText(turn);
    // A chat's button is named in the console's language; a key pressed is said in it, the option in the citizen's.
    if (lang && turn.kind !== "button" && turn.kind !== "digit" && turn.kind !== "no_input") said.lang = lang;
    item.append(who, said);
    transcript.append(item);
  }
  parts.push(transcript);
  return parts;
}

/** Who handed the conversation on, to whom or which queue, with their note (for whoever takes it now). */
function transfers(given) {
  const list = document.createElement("ol");
  list.className = "transfers";
  for (const hop of given) {
    const item = document.createElement("li");
    const to = hop.to || queueTitle(hop.to_queue);
    item.textContent = t("transfer_line", { by: hop.by, to }) + (hop.note ? ` — «${hop.note}»` : "");
    list.append(item);
  }
  return [heading(t("transfers")), list];
}

/** A questionnaire's answers, question by question, as the citizen gave them before asking for a person. */
function screeningAnswers(answers) {
  const list = document.createElement("dl");
  list.className = "screening";
  for (const given of answers) {
    const term = document.createElement("dt");
    term.textContent = given.question;
    const detail = document.createElement("dd");
    detail.textContent = given.answer;
    list.append(term, detail);
  }
  return [heading(t("screening")), list];
}

/** A phone caller's voice message: the recording's link and the transcription (or why there is none). */
function voiceMessage(message, context) {
  const box = document.createElement("div");
  box.className = "voice-message";
  if (context.kind === "callback" && !context.phone) box.append(paragraph(t("listen_only")));
  if (message.url) {
    const link = document.createElement("a");
    link.href = message.url; // http(s) only: the server drops any other scheme
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = message.duration ? `${t("listen")} (${t("seconds", { n: message.duration })})` : t("listen");
    box.append(paragraph(link));
  }
  const status = message.transcription_status;
  const said = message.transcription || t(status ? "transcription_none" : "transcription_pending");
  box.append(paragraph(said));
  return [heading(t("voice_message")), box];
}

function paragraph(content) {
  const p = document.createElement("p");
  p.append(content); // a string is added as text, never as markup
  return p;
}

function heading(text) {
  const h = document.createElement("h3");
  h.textContent = text;
  return h;
}

function listOf(items, className) {
  const list = document.createElement("ol");
  list.className = className;
  for (const text of items) {
    const item = document.createElement("li");
    item.textContent = text;
    list.append(item);
  }
  return list;
}

function drawMessages() {
  const log = $("chat-log");
  const mine = (view.held && view.messages.get(view.held.conversation_id)) || new Map();
  const all = [...mine.values()].sort((a, b) => a.id - b.id);
  const ordered = all.filter((m) => m.sender !== "note"); // my private notes have a list of their own
  // "Seen" under the last of my messages the citizen has seen.
  const upto = (view.held && view.seenUpto.get(view.held.conversation_id)) || 0;
  const read = ordered.filter((m) => m.sender === "operator" && m.id <= upto);
  const lastSeen = read.length ? read[read.length - 1].id : null;
  $("notes-log").replaceChildren(
    ...all.filter((m) => m.sender === "note").map((m) => {
      const item = document.createElement("li");
      item.textContent = m.text;
      return item;
    }),
  );
  log.replaceChildren(
    ...ordered.map((message) => {
      const item = document.createElement("p");
      item.className = `msg msg-${message.sender}`;
      const who = document.createElement("strong");
      who.textContent = `${t(SENDERS[message.sender] || message.sender)}: `;
      const said = document.createElement("span");
      said.textContent = message.text;
      if (TO_THE_CITIZEN.has(message.sender) && view.held && view.held.lang) said.lang = view.held.lang;
      item.append(who, said);
      if (message.crisis) {
        // Said in words before the message (not by colour alone), so a screen reader reads it first.
        item.classList.add("msg-crisis");
        const flag = document.createElement("strong");
        flag.className = "crisis-flag";
        flag.textContent = `⚠ ${t("crisis_flag")} `;
        item.prepend(flag);
      }
      if (message.id !== lastSeen) return item;
      // Beside the message, not in it: the message's own words stay as they were.
      const mark = document.createElement("p");
      mark.className = "seen";
      mark.textContent = `✓ ${t("seen")}`;
      return [item, mark];
    }).flat(),
  );
  log.scrollTop = log.scrollHeight;
  drawTyping();
  reportSeen();
}

function drawQueues(queues) {
  const body = $("queues").querySelector("tbody");
  $("no-queues").hidden = queues.length > 0;
  body.replaceChildren(
    ...queues.map((q) => {
      const row = document.createElement("tr");
      const level = q.service_level === null ? "—" : `${Math.round(q.service_level * 100)} %`;
      const waiting = q.offered ? t("offered_of", { n: q.waiting, offered: q.offered }) : q.waiting;
      const cells = [queueTitle(q.queue), waiting, duration(q.longest_wait), duration(q.estimated_wait), q.staffed, q.answered, level, q.abandoned];
      for (const value of cells) {
        const cell = document.createElement("td");
        cell.textContent = String(value);
        row.append(cell);
      }
      if (q.unserved_since !== null) {
        // Nobody on shift may take it: the supervisors see it too; say so here, in words.
        row.className = "alarm";
        const flag = document.createElement("strong");
        flag.className = "unserved";
        flag.textContent = t("unserved", { time: duration(Date.now() / 1000 + view.clockOffset - q.unserved_since) });
        row.firstChild.append(document.createElement("br"), flag);
      }
      return row;
    }),
  );
}

/** "subsidies:uk" as the office says it: "Житлова субсидія · українська". */
function queueTitle(name) {
  const split = name.lastIndexOf(":");
  const skill = name.slice(0, split);
  const lang = name.slice(split + 1);
  return `${SKILLS[skill] || skill} · ${TEXT[`lang_${lang}`] || lang}`;
}

function duration(seconds) {
  const whole = Math.round(seconds || 0);
  if (whole < 60) return t("seconds", { n: whole });
  return t("minutes", { m: Math.floor(whole / 60), s: whole % 60 });
}

// ---- notices ----------------------------------------------------------------------------------

function showNotice(text) {
  $("notice").textContent = text;
  $("notice").hidden = false;
}

function hideNotice() {
  $("notice").hidden = true;
}

function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---- actions ----------------------------------------------------------------------------------

function setState(state, reason = "") {
  return act(() => post("/api/operator/state", { state, reason }), t("finish_first"));
}

$("go-available").addEventListener("click", () => setState("available"));
$("go-pause").addEventListener("click", () => setState("paused", $("pause-reason").value));
$("go-offline").addEventListener("click", () => setState("offline"));

// While the accept is on its way the button is only marked busy: a disabled button would drop the focus.
$("accept").addEventListener("click", async () => {
  const accept = $("accept");
  if (!view.offer || accept.getAttribute("aria-disabled") === "true") return;
  accept.setAttribute("aria-disabled", "true");
  const done = await act(() => post(`/api/operator/offers/${view.offer.conversation_id}/accept`), t("taken"));
  if (!done) accept.removeAttribute("aria-disabled");
});

$("more-time").addEventListener("click", async () => {
  if (!view.offer) return;
  const id = view.offer.conversation_id;
  const given = await act(() => post(`/api/operator/offers/${id}/more-time`), t("no_more_time"));
  if (!given || !view.offer || view.offer.conversation_id !== id) return;
  view.offer.deadline = given.deadline;
  view.moreTimes += 1;
  announce(t("more_time_given", { n: secondsLeft() }));
  if (view.moreTimes >= MORE_TIME) {
    $("accept").focus(); // before the button goes, so the focus stays on the offer
    $("more-time").hidden = true;
  }
  drawCountdown();
});

$("reply-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("reply").value.trim();
  if (!text || !view.held) return;
  // The conversation it was written in: another may be on screen by the time the answer comes, and its draft stays.
  const id = view.held.conversation_id;
  const sent = await act(() => post(`/api/operator/conversations/${id}/messages`, { text, message_id: randomId() }));
  if (sent) {
    if (view.held && view.held.conversation_id === id) $("reply").value = "";
    view.drafts.delete(id);
    if (!view.messages.has(id)) view.messages.set(id, new Map());
    view.messages.get(id).set(sent.id, { ...sent, conversation_id: id });
    drawMessages();
  }
});

$("reply").addEventListener("keydown", (event) => {
  const first = $("canned-list").hidden ? null : $("canned-list").querySelector("button");
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    if (first) first.click(); // "/" and a few letters: the first ready reply, not a message
    else $("reply-form").requestSubmit();
  } else if (event.key === "ArrowDown" && first) {
    event.preventDefault();
    first.focus();
  }
});

// ---- canned replies: "/" and a few letters of a ready reply's title or text ------------------------

async function cannedFor(held) {
  const skill = held.queue.slice(0, held.queue.lastIndexOf(":"));
  const lang = held.lang || "uk";
  const key = `${lang} ${skill}`;
  if (!view.canned.has(key)) {
    const response = await fetch(`/api/operator/canned?lang=${lang}&skill=${encodeURIComponent(skill)}`);
    view.canned.set(key, response.ok ? await response.json() : []);
  }
  return view.canned.get(key);
}

async function showCanned() {
  const list = $("canned-list");
  const typed = $("reply").value;
  if (!view.held || !typed.startsWith("/")) {
    list.hidden = true;
    return;
  }
  const words = typed.slice(1).trim().toLowerCase();
  const replies = await cannedFor(view.held);
  const found = replies.filter((r) => `${r.title} ${r.text}`.toLowerCase().includes(words)).slice(0, 8);
  list.replaceChildren(
    ...found.map((reply) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = reply.title;
      button.title = reply.text;
      button.addEventListener("click", () => {
        $("reply").value = reply.text; // to read over and change before it is sent
        list.hidden = true;
        $("reply").focus();
      });
      item.append(button);
      return item;
    }),
  );
  list.hidden = found.length === 0;
}

$("reply").addEventListener("input", showCanned);
$("reply").addEventListener("input", () => {
  const typed = $("reply").value;
  if (!view.held || !typed.trim() || typed.startsWith("/") || Date.now() - view.typingSaid < TYPING_EVERY_MS) return;
  view.typingSaid = Date.now();
  tell({ type: "typing", conversation_id: view.held.conversation_id });
});

$("note-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("private-note").value.trim();
  if (!text || !view.held) return;
  const id = view.held.conversation_id;
  const saved = await act(() => post(`/api/operator/conversations/${id}/notes`, { text, message_id: randomId() }));
  if (saved) {
    $("private-note").value = "";
    if (!view.messages.has(id)) view.messages.set(id, new Map());
    view.messages.get(id).set(saved.id, { ...saved, conversation_id: id });
    drawMessages();
  }
});

// ---- transfer to a colleague on the line or to another queue, with a note ---------------------------

/** A conversation coming on screen starts with the transfer box closed; a call says what a transfer means. */
function resetTransfer(held) {
  $("transfer").open = false;
  $("transfer-note").value = "";
  const missing = held.kind === "call" && view.cannotConnect[held.channel];
  $("transfer-call").hidden = held.kind !== "call" || Boolean(missing);
  $("transfer-no-line").hidden = !missing;
  $("transfer-form").hidden = Boolean(missing);
  if (missing) $("transfer-no-line").textContent = t("transfer_no_line", { settings: missing.join(", ") });
}

function option(value, text, disabled = false) {
  const item = document.createElement("option");
  item.value = value;
  item.textContent = text;
  item.disabled = disabled;
  return item;
}

function group(label, options) {
  const found = document.createElement("optgroup");
  found.label = label;
  found.append(...options);
  return found;
}

/** Who is on the line now (those who cannot take it shown, with why, but not chosen) and the other queues. */
async function loadTransferOptions() {
  if (!view.held) return;
  const held = view.held;
  const response = await fetch(`/api/operator/conversations/${held.conversation_id}/transfer?lang=${LANG}`);
  if (!response.ok || view.held !== held) return;
  const found = await response.json();
  const colleagues = found.colleagues.map((c) => {
    if (!c.serves) return option("", t("colleague_cannot", { name: c.name }), true);
    if (!c.free) return option("", t("colleague_busy", { name: c.name }), true);
    return option(`colleague:${c.id}`, c.name);
  });
  if (!colleagues.length) colleagues.push(option("", t("transfer_no_colleagues"), true));
  const skill = held.queue.slice(0, held.queue.lastIndexOf(":"));
  const queues = found.queues.filter((q) => q.skill !== skill).map((q) => option(`queue:${q.skill}`, q.title));
  $("transfer-to").replaceChildren(group(t("transfer_colleagues"), colleagues), group(t("transfer_queues"), queues));
}

$("transfer").addEventListener("toggle", () => {
  if ($("transfer").open) loadTransferOptions();
});

$("transfer-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const [where, target] = $("transfer-to").value.split(":");
  if (!view.held || !target) return;
  const body = { note: $("transfer-note").value.trim() };
  if (where === "colleague") body.colleague = Number(target);
  else body.skill = target;
  const path = `/api/operator/conversations/${view.held.conversation_id}/transfer`;
  hideNotice();
  try {
    await post(path, body);
    announce(t("transfer_done"));
  } catch (error) {
    if (error.status === 409) {
      showNotice(t("transfer_refused"));
      loadTransferOptions();
    } else if (error.status === 503) {
      const missing = (view.held && view.cannotConnect[view.held.channel]) || [];
      showNotice(t("transfer_no_line", { settings: missing.join(", ") }));
    }
    else showNotice(t("failed", { message: error.message }));
  }
});

$("end").addEventListener("click", () => {
  if (view.held) act(() => post(`/api/operator/conversations/${view.held.conversation_id}/close`));
});

for (const button of document.querySelectorAll("[data-outcome]")) {
  button.addEventListener("click", () => {
    if (!view.held) return;
    const path = `/api/operator/conversations/${view.held.conversation_id}/callback-outcome`;
    act(() => post(path, { outcome: button.dataset.outcome }));
  });
}

$("wrap-up-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!view.wrapUp) return;
  const body = { disposition: $("disposition").value, note: $("note").value };
  const done = await act(() => post(`/api/operator/conversations/${view.wrapUp}/wrap-up`, body));
  if (done) $("note").value = "";
});

// ---- the first visit: may the browser notify? (asked once; every staff page rings: ringer.js) ----------

const ASKED = "hotline.notifications.asked";

function askOnce() {
  const asking = "Notification" in window && Notification.permission === "default" && !localStorage.getItem(ASKED);
  $("ask-notifications").hidden = !asking;
}

$("allow-notifications").addEventListener("click", async () => {
  localStorage.setItem(ASKED, "1");
  $("ask-notifications").hidden = true;
  new Audio("/operator/static/ring.wav").play().catch(() => {}); // what an offer sounds like; the click allows sound
  await Notification.requestPermission();
});

$("ask-later").addEventListener("click", () => {
  localStorage.setItem(ASKED, "1");
  $("ask-notifications").hidden = true;
});

// ---- keyboard shortcuts (by key position, so they work in any keyboard layout) -------------------------

document.addEventListener("keydown", (event) => {
  if (!event.altKey || event.ctrlKey || event.metaKey) return;
  const ids = view.conversations.map((c) => c.conversation_id);
  const here = ids.indexOf(view.focus);
  let done = true;
  if (event.code === "KeyA" && view.offer) $("accept").click();
  else if (event.code === "KeyX" && view.held) $("end").click();
  else if (event.code === "ArrowDown" && ids.length) pick(ids[(here + 1) % ids.length]);
  else if (event.code === "ArrowUp" && ids.length) pick(ids[(here - 1 + ids.length) % ids.length]);
  else if (/^Digit[1-9]$/.test(event.code) && ids[Number(event.code.slice(5)) - 1]) pick(ids[Number(event.code.slice(5)) - 1]);
  else done = false;
  if (done) event.preventDefault();
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && view.focus && view.unread.delete(view.focus)) drawConversations();
  reportSeen();
});

askOnce();
setInterval(drawCountdown, 500);
connect();
