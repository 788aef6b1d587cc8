"use strict";
/*
 * Hotline web chat: a citizen talks to the robot through /api/chat (channels/webchat/api.py).
 * Plain JS with no build step or framework, so the page loads fast on an old phone and anyone can
 * maintain it. Whatever the citizen or the server sends goes on the page with textContent only,
 * never as HTML.
 */

const API = "/api/chat/sessions";
const MAX_CHARS = 2000; // the server refuses longer text with a 422
const COUNTER_FROM = 1800; // the counter shows only near the limit, where it matters
const REQUEST_TIMEOUT_MS = 20000; // a hung request must not lock the page: fail and offer a retry
const KEEP_ENTRIES = 200; // enough to redraw after a reload; sessionStorage is small
const STORED_LANG = "hotline.chat.lang"; // localStorage: the language the citizen chose
const STORED_CHAT = "hotline.chat"; // sessionStorage: this tab's conversation
const LIVE_RETRY_MAX_MS = 10000; // the live channel reconnects with a growing pause, up to this
const LIVE_REFUSED = 1008; // the server does not stream this conversation: do not retry

const UI = {
  uk: {
    title: "Управління соціального захисту населення — цілодобова лінія",
    pageTitle: "Цілодобова лінія — Управління соціального захисту населення",
    langGroup: "Мова розмови",
    log: "Розмова",
    you: "Ви: ",
    bot: "Лінія: ",
    choices: "Оберіть варіант",
    inputLabel: "Ваше повідомлення",
    placeholder: "Напишіть питання…",
    send: "Надіслати",
    typing: "Друкує відповідь…",
    specialistTyping: "Фахівець друкує…",
    seen: "Переглянуто",
    handoff: "Чекаємо на фахівця…", // the waiting line is one short line (the robot's message says the rest)
    counter: "{n} з {max} символів",
    tooLong: "Повідомлення задовге: скоротіть його до {max} символів.",
    offline: "Не вдалося зв'язатися з лінією. Перевірте інтернет.",
    unavailable: "Лінія тимчасово не працює. Спробуйте за кілька хвилин.",
    refused: "Лінія не прийняла повідомлення.",
    slowDown: "Забагато повідомлень поспіль. Зачекайте {seconds} с і надішліть ще раз.",
    kept: "Ваш текст збережено в полі введення.",
    retry: "Спробувати ще раз",
    restarted: "Попередня розмова завершилася, починаємо нову.",
    specialist: "Фахівець: ",
    queued: "Ви {position}-й у черзі, близько {minutes} хв",
    queuedFirst: "Ви перший у черзі",
    queuedUnserved: "Ви {position}-й у черзі; зараз фахівців на зміні немає",
    firstUnserved: "Ви перший у черзі; зараз фахівців на зміні немає",
    joined: "Фахівець {name} на зв'язку. Пишіть — вам відповідає людина.",
    joinedAnonymous: "Фахівець на зв'язку. Пишіть — вам відповідає людина.",
    ended: "Фахівець завершив розмову. Далі вам відповідає робот.",
    rate: "Оцініть, будь ласка, як вам допомогли: від 1 (погано) до 5 (чудово).",
    score: "Оцінка {score} з 5",
    callback: "Вам зателефонують у робочий час",
    call: "Зателефонувати: ",
  },
  ru: {
    title: "Управление социальной защиты населения — круглосуточная линия",
    pageTitle: "Круглосуточная линия — Управление социальной защиты населения",
    langGroup: "Язык разговора",
    log: "Разговор",
    you: "Вы: ",
    bot: "Линия: ",
    choices: "Выберите вариант",
    inputLabel: "Ваше сообщение",
    placeholder: "Напишите вопрос…",
    send: "Отправить",
    typing: "Печатает ответ…",
    specialistTyping: "Специалист печатает…",
    seen: "Просмотрено",
    handoff: "Ждём специалиста…",
    counter: "{n} из {max} символов",
    tooLong: "Сообщение слишком длинное: сократите его до {max} символов.",
    offline: "Не удалось связаться с линией. Проверьте интернет.",
    unavailable: "Линия временно не работает. Попробуйте через несколько минут.",
    refused: "Линия не приняла сообщение.",
    slowDown: "Слишком много сообщений подряд. Подождите {seconds} с и отправьте ещё раз.",
    kept: "Ваш текст сохранён в поле ввода.",
    retry: "Попробовать ещё раз",
    restarted: "Предыдущий разговор завершён, начинаем новый.",
    specialist: "Специалист: ",
    queued: "Вы {position}-й в очереди, около {minutes} мин",
    queuedFirst: "Вы первый в очереди",
    queuedUnserved: "Вы {position}-й в очереди; сейчас специалистов на смене нет",
    firstUnserved: "Вы первый в очереди; сейчас специалистов на смене нет",
    joined: "Специалист {name} на связи. Пишите — вам отвечает человек.",
    joinedAnonymous: "Специалист на связи. Пишите — вам отвечает человек.",
    ended: "Специалист завершил разговор. Дальше вам отвечает робот.",
    rate: "Оцените, пожалуйста, как вам помогли: от 1 (плохо) до 5 (отлично).",
    score: "Оценка {score} из 5",
    callback: "Вам перезвонят в рабочее время",
    call: "Позвонить: ",
  },
};

const els = {};
let greeting = null; // the language question's words as the page brought them, each line marked with its language
let languageChoices = []; // its buttons: [{id: "lang:uk", label}]
let buttonPressed = false; // a chip or a retry button (both vanish with the answer): focus goes to the next action

// The whole client state; everything except `busy` is saved to sessionStorage after each change.
const chat = {
  lang: "uk", // the page's language; follows the server's `lang` once the robot knows it
  sessionId: null,
  sessionLang: null, // the conversation's language on the server; null while the robot asks for one
  entries: [], // {who: "bot" | "me" | "op" | "note" | "greeting", text}
  buttons: [], // the latest bot reply's buttons
  handoff: false,
  specialist: false, // a person holds the conversation: the robot is silent, they answer live
  lastMessageId: 0, // the specialist's last message shown, so a reconnect resumes after it
  seenUpto: 0, // the last of my messages the specialist has seen (their "seen")
  busy: false,
};
let live = null; // the WebSocket bringing the queue position and the specialist's messages
let waitingUpdate = null; // the queue's last word on the wait, shown as the one waiting line

document.addEventListener("DOMContentLoaded", init);

function init() {
  for (const id of ["messages", "scroller", "typing", "op-typing", "handoff", "live-status", "composer", "text", "send", "counter"]) {
    els[id] = document.getElementById(id);
  }
  els.composer.addEventListener("submit", onSubmit);
  els.text.addEventListener("keydown", onKeydown);
  els.text.addEventListener("input", onInput);
  for (const button of document.querySelectorAll(".lang")) {
    button.addEventListener("click", () => switchLanguage(button.dataset.lang));
  }
  greeting = document.querySelector("#greeting .msg-text").cloneNode(true);
  languageChoices = Array.from(document.querySelectorAll("#messages .chip"), (c) => ({ id: c.dataset.id, label: c.textContent }));
  const remembered = rememberedLanguage();
  if (restore()) {
    applyLanguage(chat.lang);
    redraw();
    openLive();
  } else if (remembered) {
    applyLanguage(remembered);
    els.messages.replaceChildren();
    startSession(remembered);
  } else {
    // The page came with the language question: it is answered without asking the server for it.
    applyLanguage(preferredLanguage());
    Object.assign(chat, { entries: [{ who: "greeting" }], buttons: languageChoices });
    redraw();
  }
}

// ---- language -------------------------------------------------------------------------------

function t(key, values = {}) {
  return UI[chat.lang][key].replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
}

function rememberedLanguage() {
  const lang = safeStorage(() => localStorage.getItem(STORED_LANG));
  return lang in UI ? lang : null;
}

function preferredLanguage() {
  const browser = (navigator.language || "").toLowerCase();
  return rememberedLanguage() || (browser.startsWith("ru") ? "ru" : "uk");
}

/** Puts every label of the page into `lang`. */
function applyLanguage(lang) {
  chat.lang = lang in UI ? lang : "uk";
  document.documentElement.lang = chat.lang;
  document.title = t("pageTitle");
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  }
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const button of document.querySelectorAll(".lang")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === chat.lang));
  }
  updateCounter();
}

/**
 * The header switch. A conversation under way goes on (a handoff too): the robot speaks the new language from
 * now on and says its last words again in it. Before one has started, it starts in that language.
 */
function switchLanguage(lang) {
  if (chat.busy || lang === chat.sessionLang) return;
  safeStorage(() => localStorage.setItem(STORED_LANG, lang));
  applyLanguage(lang);
  if (chat.sessionId) {
    withBusy(() => switchLanguage(lang), () => changeLanguage(lang));
    return;
  }
  resetConversation();
  startSession(lang);
}

async function changeLanguage(lang) {
  const path = `${API}/${encodeURIComponent(chat.sessionId)}/messages`;
  showReplies(await post(path, { button: `lang:${lang}`, message_id: randomId() }));
  redraw(); // the "you" and "line" marks of earlier messages are read in the new language too
  if (waitingUpdate) showLive(waitingText(waitingUpdate));
}

// ---- talking to the server ------------------------------------------------------------------

class RequestFailed extends Error {
  constructor(status, message, retryAfter = 0) {
    super(message || `HTTP ${status}`);
    this.status = status; // 0 when the server was not reached at all
    this.retryAfter = retryAfter; // seconds the server asked us to wait (429)
  }
}

async function post(path, body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
  } catch {
    throw new RequestFailed(0);
  } finally {
    clearTimeout(timer);
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const retryAfter = Number(response.headers.get("Retry-After")) || 0;
    throw new RequestFailed(response.status, data && (data.message || data.detail), retryAfter);
  }
  return data;
}

/** The first conversation of the page, or a new one after the language switch. */
function startSession(lang) {
  return withBusy(() => startSession(lang), () => openSession(lang));
}

/** Without a language the robot's first words ask for one (not shown again when the page already asks). */
async function openSession(lang, show = true) {
  const data = await post(API, lang ? { lang } : {});
  chat.sessionId = data.session_id;
  if (show) showReplies(data);
  else chat.sessionLang = data.lang;
}

/** A language button of the page's own question: the conversation starts in that language at once. */
function chooseLanguage(lang, label) {
  return withBusy(() => chooseLanguage(lang, label), async () => {
    const bubble = messageElement("me", label, lang); // "Русский" is Russian
    bubble.classList.add("pending");
    els.messages.append(bubble);
    let data;
    try {
      data = await post(API, { lang });
    } catch (error) {
      bubble.remove();
      throw error;
    }
    bubble.classList.remove("pending");
    addEntry("me", label, { element: bubble, lang });
    chat.sessionId = data.session_id;
    showReplies(data);
  });
}

/** The page shows its language question and no conversation has started yet. */
function beforeLanguage() {
  return !chat.sessionId && chat.entries.some((entry) => entry.who === "greeting");
}

/**
 * Sends one citizen message: `body` is {text} or {button}; `echo` is what the citizen's bubble says.
 * The message id stays the same on a retry, so a message the server did get is not answered twice.
 */
function sendMessage(body, echo, id = randomId()) {
  return withBusy(() => sendMessage(body, echo, id), () => deliver(body, echo, id, true));
}

async function deliver(body, echo, id, mayRenew) {
  // Text written instead of choosing a language: the robot tells the language from it. Else the first start
  // failed and the citizen wrote anyway.
  if (!chat.sessionId) await openSession(beforeLanguage() ? null : chat.lang, !beforeLanguage());
  const shown = chat.lang; // a button's words are in the page's language when pressed
  const bubble = messageElement("me", echo, shown);
  bubble.classList.add("pending");
  els.messages.append(bubble);
  let data;
  try {
    data = await post(`${API}/${encodeURIComponent(chat.sessionId)}/messages`, { ...body, message_id: id });
  } catch (error) {
    bubble.remove();
    if (error.status !== 404 || !mayRenew) throw error;
    // The server forgot this conversation (expired, or a new database): start a new one. A button
    // belonged to the old menu, but typed text still makes sense there.
    addEntry("note", t("restarted"));
    await openSession(chat.lang);
    if (body.text !== undefined) await deliver(body, echo, id, false);
    return;
  }
  bubble.classList.remove("pending");
  // Typed words are in the language the robot heard in them; a language button's in its own.
  const pressed = body.button && body.button.startsWith("lang:") ? body.button.slice("lang:".length) : null;
  const lang = pressed || (body.text !== undefined && data.lang) || shown;
  bubble.querySelector(".msg-text").lang = lang;
  addEntry("me", echo, { element: bubble, lang, id: data.message_id });
  if (body.text !== undefined && els.text.value.trim() === body.text) clearComposer();
  showReplies(data);
}

/** Runs one request with the page marked busy; on failure shows why and how to retry. */
async function withBusy(retry, work) {
  if (chat.busy) return;
  clearErrors();
  setBusy(true);
  try {
    await work();
  } catch (error) {
    showError(error, retry);
  } finally {
    setBusy(false);
    save();
  }
}

function randomId() {
  // crypto.randomUUID needs a secure context; getRandomValues works on plain http too.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---- what the robot says --------------------------------------------------------------------

function showReplies(data) {
  chat.sessionLang = data.lang;
  if (data.lang && data.lang !== chat.lang) {
    // The citizen chose a language inside the chat (or wrote in it): the page follows.
    safeStorage(() => localStorage.setItem(STORED_LANG, data.lang));
    applyLanguage(data.lang);
  }
  const added = data.replies.map((reply) =>
    isLanguageQuestion(reply) ? addEntry("greeting", "") : addEntry("bot", reply.text_long || reply.text),
  );
  const last = data.replies[data.replies.length - 1];
  if (last) chat.buttons = last.buttons;
  const handedOff = data.replies.some((reply) => reply.handoff);
  chat.handoff = chat.handoff || handedOff;
  drawButtons();
  drawHandoff();
  scrollToNew(added[0]);
  if (buttonPressed) focusNextAction(handedOff ? null : nextOnScreen(added[0]));
  openLive();
}

function isLanguageQuestion(reply) {
  return reply.buttons.length > 0 && reply.buttons.every((button) => button.id.startsWith("lang:"));
}

/**
 * A message of the conversation, marked with the language it is in (WCAG 3.1.2): after a switch the
 * earlier messages stay in theirs. The robot and the specialist speak the conversation's language; the
 * line's own notes are in the page's.
 */
function addEntry(who, text, { lang = who === "note" ? chat.lang : chat.sessionLang || chat.lang, element, id } = {}) {
  element = element || messageElement(who, text, lang);
  // `id`: a message to the specialist as stored (their "seen" names it); the element finds its entry by it.
  if (id) element.dataset.id = id;
  chat.entries.push(id ? { who, text, lang, id } : { who, text, lang });
  if (chat.entries.length > KEEP_ENTRIES) chat.entries.splice(0, chat.entries.length - KEEP_ENTRIES);
  if (!element.isConnected) els.messages.append(element);
  return element;
}

function messageElement(who, text, lang) {
  const item = document.createElement("div");
  item.className = `msg msg-${who === "greeting" ? "bot" : who}`;
  if (who !== "note") {
    // Screen readers hear who is speaking; sighted citizens see it from the side.
    const speaker = document.createElement("span");
    speaker.className = "visually-hidden";
    speaker.textContent = t({ me: "you", op: "specialist" }[who] || "bot");
    item.append(speaker);
  }
  if (who === "greeting") {
    item.append(greeting.cloneNode(true));
    return item;
  }
  const body = document.createElement("span");
  body.className = "msg-text";
  if (who === "bot") appendLinked(body, text);
  else body.textContent = text;
  if (lang) body.lang = lang;
  item.append(body);
  return item;
}

// Web addresses (the answers often write them without https://, as "diia.gov.ua") become links. Phone
// numbers become large "call" buttons, the main action for many elderly citizens: free 0 800 lines,
// numbers with a code ("(044) 123-45-67", "+380 44 123 45 67") and the short numbers of services
// (101–104, 112, 15xx, 116 xxx). Only https and tel links are ever made.
const WEB = String.raw`\bhttps?:\/\/[^\s<>"]*[^\s<>".,;:!?)»]|\b(?:[a-z0-9-]+\.)+ua\b(?:\/[^\s<>"]*[^\s<>".,;:!?)»])?`;
const PHONE = String.raw`\b0 ?800 ?\d{3} ?\d{3}\b|(?:\+?38 ?)?\(?0 ?\d{2}\)?[ -]?\d{3}[ -]?\d{2}[ -]?\d{2}\b|\b116 ?1\d\d\b|\b1(?:0[1-4]|12|5\d\d)\b`;
const LINKABLE = new RegExp(`(${WEB})|(${PHONE})`, "gi");
// A short number next to other figures or a unit is an amount or a year ("2 102 грн"), not a service.
const FIGURE_BEFORE = /\d[ .,]?$/;
const FIGURE_AFTER = /^(?:[ .,]?\d|\s*(?:грн|грив|₴|%|руб|тис|рок|рік|р\.|год|лет|дн|км))/i;

function isNumberToCall(text, match) {
  const digits = match[0].replace(/\D/g, "");
  if (digits.length >= 10) return true;
  const before = text.slice(Math.max(0, match.index - 3), match.index);
  return !FIGURE_BEFORE.test(before) && !FIGURE_AFTER.test(text.slice(match.index + match[0].length));
}

/** The robot's text with its addresses and numbers as links; everything else stays plain text nodes. */
function appendLinked(parent, text) {
  let at = 0;
  for (const match of text.matchAll(LINKABLE)) {
    const phone = match[2] !== undefined;
    if (phone && !isNumberToCall(text, match)) continue;
    parent.append(document.createTextNode(text.slice(at, match.index)));
    parent.append(phone ? callButton(match[0]) : webLink(match[0]));
    at = match.index + match[0].length;
  }
  parent.append(document.createTextNode(text.slice(at)));
}

function webLink(address) {
  const link = document.createElement("a");
  link.href = /^https?:/i.test(address) ? address : `https://${address}`;
  link.textContent = address;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  return link;
}

const SVG = "http://www.w3.org/2000/svg";
const HANDSET = "M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 " +
  "1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z";

/** A phone number as a big button that dials it; a screen reader hears "Call: 0 800 …". */
function callButton(number) {
  const link = document.createElement("a");
  link.className = "call";
  link.href = `tel:${number.replace(/[^\d+]/g, "")}`;
  const icon = document.createElementNS(SVG, "svg");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", HANDSET);
  path.setAttribute("fill", "currentColor");
  icon.append(path);
  link.setAttribute("aria-label", t("call") + number); // the bubble's own text stays the answer's words
  link.append(icon, number);
  return link;
}

/** Menu buttons live under the latest bot message only; older ones would act on a stale menu. */
function drawButtons() {
  for (const old of els.messages.querySelectorAll(".chips")) old.remove();
  if (!chat.buttons.length) return;
  const group = document.createElement("div");
  group.className = "chips";
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", t("choices"));
  for (const button of chat.buttons) group.append(chipElement(button));
  els.messages.append(group);
}

/** The first new button if the screen shows it, else the answer (read from its top first). */
function nextOnScreen(answer) {
  const chip = els.messages.querySelector(".chip");
  if (!chip) return null;
  const view = els.scroller.getBoundingClientRect();
  return chip.getBoundingClientRect().bottom <= view.bottom ? chip : answer;
}

/**
 * The button pressed is gone with the answer: its keyboard user is put on the next action instead of
 * falling to the page's top. That is the answer itself when it is too long for the screen (read from its
 * top; Tab goes on to its links and buttons), else the first new button, else (or after asking for a
 * person) the text box.
 */
function focusNextAction(target) {
  buttonPressed = false;
  if (target?.classList.contains("msg")) target.tabIndex = -1;
  (target || els.text).focus({ preventScroll: true });
}

function chipElement(button) {
  const chip = document.createElement("button");
  chip.type = "button";
  chip.className = "chip";
  chip.textContent = button.label; // phone keys ("1", "0", "#") mean nothing in a chat: not shown
  if (button.aria) chip.setAttribute("aria-label", button.aria); // "3" alone says nothing read aloud
  const language = button.id.startsWith("lang:") ? button.id.slice("lang:".length) : null;
  if (language) chip.lang = language; // "Русский" is read in Russian
  markBusy(chip, chat.busy);
  chip.addEventListener("click", () => {
    buttonPressed = true;
    if (language && !chat.sessionId) chooseLanguage(language, button.label);
    else sendMessage({ button: button.id }, button.label);
  });
  return chip;
}

/** One waiting line at a time: "handed to a specialist" until the queue says more. */
function drawHandoff() {
  els.handoff.hidden = !chat.handoff || chat.specialist || !els["live-status"].hidden;
}

// ---- the specialist, live -------------------------------------------------------------------

/** After a handoff: a WebSocket tells the place in the queue, and brings the specialist and their words. */
function openLive(attempt = 0) {
  if (live || !chat.handoff || !chat.sessionId) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const path = `${API}/${encodeURIComponent(chat.sessionId)}/live?after=${chat.lastMessageId}`;
  const socket = new WebSocket(`${scheme}://${location.host}${path}`);
  live = socket;
  socket.addEventListener("open", () => {
    attempt = 0;
    chat.seenSaid = 0; // said again to a new socket: the server keeps only the furthest
    reportSeen();
  });
  socket.addEventListener("message", (event) => onLive(JSON.parse(event.data)));
  socket.addEventListener("close", (event) => {
    if (live !== socket) return; // closed on purpose
    live = null;
    if (event.code !== LIVE_REFUSED && chat.handoff) {
      setTimeout(() => openLive(attempt + 1), Math.min(LIVE_RETRY_MAX_MS, 500 * 2 ** attempt));
    }
  });
}

function closeLive() {
  const socket = live;
  live = null;
  if (socket) socket.close();
}

function onLive(update) {
  if (update.type === "typing") {
    showSpecialistTyping(true);
    return;
  }
  if (update.type === "seen") {
    chat.seenUpto = Math.max(chat.seenUpto || 0, update.upto);
    drawSeen();
    save();
    return;
  }
  if (update.type === "message") {
    chat.lastMessageId = Math.max(chat.lastMessageId, update.id);
    showSpecialistTyping(false);
    scrollToNew(addEntry("op", update.text));
    reportSeen();
  } else if (update.state === "connected") {
    if (!chat.specialist) {
      chat.specialist = true;
      chat.buttons = []; // the robot's menu means nothing to a person
      drawButtons();
      scrollToNew(addEntry("note", update.operator ? t("joined", { name: update.operator }) : t("joinedAnonymous")));
    }
    showLive("");
  } else if (update.state === "waiting" || update.state === "callback") {
    waitingUpdate = update;
    showLive(waitingText(update));
  } else {
    // Nobody holds or waits for the conversation any more: the robot answers again.
    if (chat.specialist) {
      // As every chat channel does (channels/chat/guard.py): the answer is a rating button, `rate:N`.
      addEntry("note", t("ended"));
      scrollToNew(addEntry("note", t("rate")));
      chat.buttons = [1, 2, 3, 4, 5].map((n) => ({ id: `rate:${n}`, label: String(n), aria: t("score", { score: n }) }));
      drawButtons();
    }
    Object.assign(chat, { specialist: false, handoff: false });
    showLive("");
    closeLive();
  }
  drawHandoff();
  save();
}

// ---- typing and seen, while a specialist holds the chat (never stored: specialist_queue/presence.py) -------

const TYPING_SHOWN_MS = 5000; // the specialist's "typing…" goes unless they type on (their console says so every 3 s)
const TYPING_EVERY_MS = 2500; // how often this page says the citizen types, at most
let typingTimer = null;
let typingSaid = 0;

function showSpecialistTyping(on) {
  clearTimeout(typingTimer);
  els["op-typing"].hidden = !on;
  if (on) typingTimer = setTimeout(() => (els["op-typing"].hidden = true), TYPING_SHOWN_MS);
}

function tell(frame) {
  if (live && live.readyState === WebSocket.OPEN) live.send(JSON.stringify(frame));
}

/** The citizen types to the specialist: said at most every few seconds. */
function reportTyping() {
  if (!chat.specialist || Date.now() - typingSaid < TYPING_EVERY_MS) return;
  typingSaid = Date.now();
  tell({ type: "typing" });
}

/** The specialist's messages on screen while the page is in view: the specialist sees they were read. */
function reportSeen() {
  if (!document.hidden && chat.lastMessageId > (chat.seenSaid || 0)) {
    chat.seenSaid = chat.lastMessageId;
    tell({ type: "seen", upto: chat.lastMessageId });
  }
}

/** "Seen" under the last of my messages the specialist has read. */
function drawSeen() {
  for (const mark of els.messages.querySelectorAll(".seen")) mark.remove();
  const read = [...els.messages.querySelectorAll(".msg-me[data-id]")].filter((m) => Number(m.dataset.id) <= (chat.seenUpto || 0));
  const last = read[read.length - 1];
  if (!last) return;
  // Beside the bubble, not in it: the message's own words stay as they were.
  const mark = document.createElement("p");
  mark.className = "seen";
  mark.textContent = `✓ ${t("seen")}`;
  last.after(mark);
}

document.addEventListener("visibilitychange", reportSeen);

/** The one waiting line's words for a queue update, in the page's language (said again after a switch). */
function waitingText(update) {
  if (update.state === "callback") return t("callback");
  // Rounded as the phone and Viber say it (specialist_queue/figures.py wait_minutes).
  const minutes = Math.max(1, Math.ceil((update.wait_seconds || 0) / 60));
  // Nobody on shift may take it now (the office closed while they waited, everyone paused): no estimate is honest.
  if (update.unserved) {
    return update.position > 1 ? t("queuedUnserved", { position: update.position }) : t("firstUnserved");
  }
  return update.position > 1 ? t("queued", { position: update.position, minutes }) : t("queuedFirst");
}

function showLive(text) {
  if (!text) waitingUpdate = null;
  els["live-status"].textContent = text;
  els["live-status"].hidden = !text;
}

/** A long answer is shown from its top, under the question it answers; a short one scrolls the chat to the end. */
function scrollToNew(first) {
  const { scroller } = els;
  const asked = first?.previousElementSibling;
  const top = asked?.classList.contains("msg-me") ? asked : first;
  const header = document.querySelector(".top");
  const covered = getComputedStyle(header).position === "sticky" ? header.offsetHeight : 0;
  if (top && scroller.scrollHeight - top.offsetTop > scroller.clientHeight - covered) {
    scroller.scrollTop = top.offsetTop - covered - 8;
  } else {
    scroller.scrollTop = scroller.scrollHeight;
  }
}

// ---- errors ---------------------------------------------------------------------------------

function errorText(error) {
  if (error.status === 0) return t("offline");
  if (error.status === 422 || error.status === 413) return t("refused");
  if (error.status === 429) return t("slowDown", { seconds: Math.max(1, error.retryAfter) });
  return t("unavailable");
}

function showError(error, retry) {
  buttonPressed = false; // the pressed button is still there, focused
  const notice = document.createElement("div");
  notice.className = "notice error";
  notice.setAttribute("role", "alert");
  const kept = els.text.value.trim() ? ` ${t("kept")}` : "";
  notice.append(document.createTextNode(errorText(error) + kept));
  // Resending text the server refused as invalid would only fail again: the citizen edits instead.
  if (error.status !== 422) {
    const again = document.createElement("button");
    again.type = "button";
    again.className = "retry";
    again.textContent = t("retry");
    again.addEventListener("click", () => {
      buttonPressed = true;
      retry();
    });
    notice.append(again);
  }
  els.messages.append(notice);
  scrollToNew(notice);
}

function clearErrors() {
  for (const notice of els.messages.querySelectorAll(".notice.error")) notice.remove();
}

// ---- the text box ---------------------------------------------------------------------------

function onSubmit(event) {
  event.preventDefault();
  const text = els.text.value.trim();
  if (chat.busy || !text || charCount(text) > MAX_CHARS) return;
  if (document.activeElement === els.send) els.text.focus({ preventScroll: true }); // the next thing is to read and write
  sendMessage({ text }, text);
}

function onKeydown(event) {
  // Enter sends, Shift+Enter makes a new line; Enter that confirms an IME composition does neither.
  if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
  event.preventDefault();
  els.composer.requestSubmit();
}

function onInput() {
  updateCounter();
  fitHeight();
  if (els.text.value.trim()) reportTyping();
}

function clearComposer() {
  els.text.value = "";
  onInput();
}

/** The server counts characters, not UTF-16 units: an emoji is one. */
function charCount(text) {
  return [...text].length;
}

function updateCounter() {
  const count = charCount(els.text.value.trim());
  const tooLong = count > MAX_CHARS;
  els.counter.hidden = count < COUNTER_FROM;
  els.counter.textContent = tooLong
    ? `${t("counter", { n: count, max: MAX_CHARS })}. ${t("tooLong", { max: MAX_CHARS })}`
    : t("counter", { n: count, max: MAX_CHARS });
  els.counter.classList.toggle("over", tooLong);
  els.text.setAttribute("aria-invalid", String(tooLong));
  markBusy(els.send, chat.busy || count === 0 || tooLong); // never `disabled`: it would drop the focus it holds
}

/** The box grows with the text up to a few lines, then scrolls. */
function fitHeight() {
  els.text.style.height = "auto";
  els.text.style.height = `${Math.min(els.text.scrollHeight + 2, 160)}px`;
}

/**
 * Buttons are never `disabled` while a request runs: a disabled button drops the keyboard focus it holds and
 * cannot take it back. They say they are unavailable instead, and a press meanwhile does nothing (withBusy).
 */
function markBusy(button, on) {
  if (on) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
}

function setBusy(on) {
  chat.busy = on;
  els.typing.hidden = !on;
  els.text.readOnly = on; // readOnly, not disabled: the phone keyboard stays open
  els.composer.setAttribute("aria-busy", String(on));
  for (const button of document.querySelectorAll(".chip, .lang, .retry")) markBusy(button, on);
  updateCounter();
  if (on) els.scroller.scrollTop = els.scroller.scrollHeight;
}

// ---- keeping the conversation across a reload -----------------------------------------------

function save() {
  const { lang, sessionId, sessionLang, entries, buttons, handoff, specialist, lastMessageId, seenUpto } = chat;
  if (!sessionId) return;
  const saved = { lang, sessionId, sessionLang, entries, buttons, handoff, specialist, lastMessageId, seenUpto };
  safeStorage(() => sessionStorage.setItem(STORED_CHAT, JSON.stringify(saved)));
}

function restore() {
  const saved = safeStorage(() => JSON.parse(sessionStorage.getItem(STORED_CHAT)));
  if (!saved || typeof saved.sessionId !== "string" || !Array.isArray(saved.entries)) return false;
  Object.assign(chat, {
    lang: saved.lang,
    sessionId: saved.sessionId,
    sessionLang: saved.sessionLang in UI ? saved.sessionLang : null,
    entries: saved.entries,
    buttons: Array.isArray(saved.buttons) ? saved.buttons : [],
    handoff: Boolean(saved.handoff),
    specialist: Boolean(saved.specialist),
    lastMessageId: Number(saved.lastMessageId) || 0,
  });
  return true;
}

function redraw() {
  els.messages.replaceChildren(
    ...chat.entries.map((entry) => {
      const element = messageElement(entry.who, entry.text, entry.lang);
      if (entry.id) element.dataset.id = entry.id;
      return element;
    }),
  );
  drawSeen();
  drawButtons();
  drawHandoff();
  els.scroller.scrollTop = els.scroller.scrollHeight;
}

function resetConversation() {
  closeLive();
  Object.assign(chat, {
    sessionId: null, sessionLang: null, entries: [], buttons: [], handoff: false, specialist: false, lastMessageId: 0,
    seenUpto: 0,
  });
  safeStorage(() => sessionStorage.removeItem(STORED_CHAT));
  els.messages.replaceChildren();
  showLive("");
  drawHandoff();
}

/** Private browsing and full storage throw; the chat still works, it only forgets on reload. */
function safeStorage(action) {
  try {
    return action();
  } catch {
    return null;
  }
}
