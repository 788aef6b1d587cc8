"use strict";
/*
 * On every staff page a specialist has open: an offer rings (a sound and a browser notification, once
 * across all the tabs) and a banner counts it down; after a missed offer, a banner says why the operator
 * is paused, with one click to be available again. Live over /api/operator/alerts.
 *
 * One tab rings per offer: the tab that gets the Web Lock named after the offer holds it until the offer
 * is gone, so the others stay quiet (they still show the banner).
 */
(() => {
  const me = document.currentScript;
  const LANG = document.documentElement.lang === "ru" ? "ru" : "uk";
  const CSRF = me.dataset.csrf;
  const ON_CONSOLE = Boolean(document.getElementById("console"));
  const RING = "/operator/static/ring.wav";
  const RING_EVERY_MS = 4000;
  const TEXT = {
    uk: {
      offer: "Нове звернення для вас",
      emergency: "Екстрене звернення для вас",
      left: "залишилось {n} с",
      open: "Відкрити консоль",
      missed: "Ви пропустили звернення, тому вас поставлено на перерву.",
      ready: "Я на місці: приймати звернення",
      failed: "Не вдалося: {message}",
    },
    ru: {
      offer: "Новое обращение для вас",
      emergency: "Экстренное обращение для вас",
      left: "осталось {n} с",
      open: "Открыть консоль",
      missed: "Вы пропустили обращение, поэтому вас поставили на перерыв.",
      ready: "Я на месте: принимать обращения",
      failed: "Не удалось: {message}",
    },
  }[LANG];
  const CHANNELS = {
    uk: { web: "веб-чат", phone: "телефон", viber: "Viber", telegram: "Telegram" },
    ru: { web: "веб-чат", phone: "телефон", viber: "Viber", telegram: "Telegram" },
  }[LANG];
  const state = { offer: null, clockOffset: 0, ringing: null };

  const t = (key, values = {}) => TEXT[key].replace(/\{(\w+)\}/g, (_, name) => String(values[name]));

  // ---- the banner every page shows ------------------------------------------------------------

  // The banner is not itself a live region (its countdown would be read out every second): what it says
  // is put in an alert when it starts, and the countdown is a timer.
  const banner = document.createElement("div");
  banner.className = "ringer";
  banner.hidden = true;
  document.body.prepend(banner);

  function showOffer(offer) {
    if (ON_CONSOLE) return; // the console shows its own offer, with the accept button
    if (!banner.hidden && banner.classList.contains("ringer-offer")) return countdown(); // already said
    const title = document.createElement("strong");
    title.setAttribute("role", "alert");
    title.textContent = t(offer.priority === "emergency" ? "emergency" : "offer");
    const left = document.createElement("span");
    left.className = "ringer-left";
    left.setAttribute("role", "timer");
    const open = document.createElement("a");
    open.href = "/operator";
    open.textContent = t("open");
    banner.replaceChildren(title, " ", left, " ", open);
    banner.className = `ringer ringer-offer${offer.priority === "emergency" ? " ringer-urgent" : ""}`;
    banner.hidden = false;
    countdown();
  }

  function showMissed() {
    if (!banner.hidden && banner.classList.contains("ringer-missed")) return; // already said
    const text = document.createElement("span");
    text.setAttribute("role", "alert");
    text.textContent = t("missed");
    const ready = document.createElement("button");
    ready.type = "button";
    ready.textContent = t("ready");
    ready.addEventListener("click", beReady);
    banner.replaceChildren(text, " ", ready);
    banner.className = "ringer ringer-missed";
    banner.hidden = false;
  }

  async function beReady() {
    const response = await fetch("/api/operator/state", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": CSRF },
      body: JSON.stringify({ state: "available", reason: "" }),
    });
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      banner.append(" ", t("failed", { message: data.message || response.status }));
    }
  }

  function countdown() {
    const left = banner.querySelector(".ringer-left");
    if (!state.offer || !left) return;
    const seconds = Math.max(0, Math.round(state.offer.deadline - (Date.now() / 1000 + state.clockOffset)));
    left.textContent = t("left", { n: seconds });
  }

  // ---- ringing: one tab per offer -------------------------------------------------------------

  function ring(offer) {
    const id = offer.conversation_id;
    const run = async () => {
      const sound = () => new Audio(RING).play().catch(() => {}); // blocked until the page has been used
      sound();
      notify(offer);
      const again = setInterval(sound, RING_EVERY_MS);
      await new Promise((gone) => (state.ringing = gone));
      clearInterval(again);
    };
    if (navigator.locks) {
      navigator.locks.request(`hotline-offer-${id}`, { ifAvailable: true }, (lock) => (lock ? run() : null));
    } else {
      run();
    }
  }

  function notify(offer) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const body = [CHANNELS[offer.channel] || offer.channel, offer.queue_title].filter(Boolean).join(" · ");
    const note = new Notification(t(offer.priority === "emergency" ? "emergency" : "offer"), {
      body,
      tag: `hotline-offer-${offer.conversation_id}`,
      requireInteraction: true,
    });
    note.addEventListener("click", () => {
      window.focus();
      if (!ON_CONSOLE) location.assign("/operator");
      note.close();
    });
  }

  function stopRinging() {
    if (state.ringing) state.ringing();
    state.ringing = null;
  }

  // ---- the live state -------------------------------------------------------------------------

  function receive(update) {
    state.clockOffset = update.now - Date.now() / 1000;
    const offer = update.offer;
    const changed = (offer && offer.conversation_id) !== (state.offer && state.offer.conversation_id);
    state.offer = offer;
    if (changed) {
      stopRinging();
      banner.hidden = true; // a new offer (or none): said anew
    }
    if (offer) {
      if (changed) ring(offer);
      showOffer(offer);
    } else if (update.operator.state === "paused" && update.operator.reason === "missed_offer") {
      showMissed();
    } else {
      banner.hidden = true;
    }
  }

  function connect(attempt = 0) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/api/operator/alerts?lang=${LANG}`);
    socket.addEventListener("open", () => (attempt = 0));
    socket.addEventListener("message", (event) => receive(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      if (event.code === 1008) return; // not a specialist (or logged out): nothing to ring here
      setTimeout(() => connect(attempt + 1), Math.min(10000, 500 * 2 ** attempt));
    });
  }

  setInterval(countdown, 500);
  connect();
})();
