// Admin pages: confirmations, "try it", previews and drag-and-drop in the tree editor.
// Everything a citizen or an admin typed is put on the page as text (textContent), never as HTML.
"use strict";

(function () {
  const root = document.getElementById("admin");
  if (!root) return;
  const csrf = root.dataset.csrf;

  async function postJson(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.text || data.message || String(response.status));
    return data;
  }

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  // Forms that undo work ask first.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  // "Try it": which intent of the draft a phrase reaches.
  const tryBox = document.getElementById("try");
  const tryForm = document.getElementById("try-form");
  if (tryBox && tryForm) {
    const result = document.getElementById("try-result");
    // The phrase is in the language chosen beside it: read (and spell-checked) as such.
    const followLanguage = () => (tryForm.elements.text.lang = tryForm.elements.lang.value);
    tryForm.elements.lang.addEventListener("change", followLanguage);
    followLanguage();
    tryForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = new FormData(tryForm);
      result.replaceChildren();
      try {
        const found = await postJson("/api/admin/try", { text: fields.get("text"), lang: fields.get("lang") });
        const line = found.intent
          ? element("p", `${found.title} (${found.intent}) · ${tryBox.dataset.score} ${found.score}`, "found")
          : element("p", `${tryBox.dataset.none} (${tryBox.dataset.score} ${found.score})`, "none");
        line.dataset.intent = found.intent || "";
        result.append(line);
        if (found.ambiguous) result.append(element("p", tryBox.dataset.ambiguous));
        if (!found.intent && found.confirm) {
          const asked = element("p", `${tryBox.dataset.confirm} ${found.confirm_title} (${found.confirm})`, "confirm");
          asked.dataset.intent = found.confirm;
          result.append(asked);
        }
        if (found.alternatives.length) {
          result.append(element("p", tryBox.dataset.alternatives));
          const list = element("ul");
          found.alternatives.forEach((a) => list.append(element("li", `${a.title} (${a.intent}) · ${a.score}`)));
          result.append(list);
        }
      } catch (error) {
        result.append(element("p", error.message, "error"));
      }
    });
  }

  // Preview of the node being edited (unsaved changes included) on every channel that is on: a keypad
  // channel's speech and keys, a button channel's bubble and buttons, each with its warnings.
  const nodeForm = document.getElementById("node-form");
  const preview = document.getElementById("preview");
  if (nodeForm && preview) {
    const langSelect = document.getElementById("preview-lang");
    const show = async () => {
      const form = {};
      new FormData(nodeForm).forEach((value, name) => {
        if (name !== "csrf_token") form[name] = String(value);
      });
      const failed = preview.querySelector(":scope > .note");
      try {
        const view = await postJson("/api/admin/preview", { slug: nodeForm.dataset.slug, lang: langSelect.value, form });
        failed.hidden = true;
        render(view);
      } catch (error) {
        failed.textContent = error.message;
        failed.hidden = false;
      }
      preview.hidden = false;
    };
    const panel = (channel, seconds) => {
      const box = element("div", null, `channel ${channel.name}`);
      box.append(element("h4", channel.label));
      const keys = channel.controls === "keys";
      box.append(element(keys ? "p" : "div", channel.text, keys ? "speech" : "bubble"));
      box.append(element(keys ? "ul" : "div", null, keys ? "keys" : "buttons"));
      box.lastChild.replaceChildren(...channel.buttons.map((b) => element(keys ? "li" : "span", b)));
      const notes = channel.warnings.map((w) => preview.dataset[w] || w);
      if (keys) box.append(element("p", preview.dataset.seconds.replace("{seconds}", seconds), "note muted"));
      if (notes.length) box.append(element("p", notes.join(" "), "note"));
      return box;
    };
    const render = (view) => {
      preview.querySelector(".channels").replaceChildren(...view.channels.map((c) => panel(c, view.speaking_seconds)));
      // The answer is in the language chosen for the preview, whatever the page's.
      for (const part of preview.querySelectorAll(".speech, .keys, .bubble, .buttons")) part.lang = langSelect.value;
    };
    document.getElementById("preview-button").addEventListener("click", show);
    langSelect.addEventListener("change", show);
    show();
  }

  // Drag a node onto another to put it just before that one (in that one's menu).
  const pane = document.querySelector(".tree-pane");
  if (pane) {
    let dragged = null;
    const parentOf = (li) => {
      const up = li.parentElement.closest("li.node");
      return up ? up.dataset.slug : "";
    };
    pane.querySelectorAll("li.node").forEach((li) => {
      li.addEventListener("dragstart", (event) => {
        dragged = li;
        event.dataTransfer.setData("text/plain", li.dataset.slug);
        event.stopPropagation();
      });
      const row = li.querySelector(".node-row");
      row.addEventListener("dragover", (event) => {
        if (dragged && !dragged.contains(li)) {
          event.preventDefault();
          li.classList.add("drop-target");
        }
      });
      row.addEventListener("dragleave", () => li.classList.remove("drop-target"));
      row.addEventListener("drop", (event) => {
        event.preventDefault();
        li.classList.remove("drop-target");
        if (!dragged || dragged.contains(li)) return;
        const siblings = Array.from(li.parentElement.children);
        let index = siblings.indexOf(li);
        if (dragged.parentElement === li.parentElement && siblings.indexOf(dragged) < index) index -= 1;
        const form = element("form");
        form.method = "post";
        form.action = `/admin/tree/nodes/${encodeURIComponent(dragged.dataset.slug)}/move`;
        for (const [name, value] of [["csrf_token", csrf], ["parent", parentOf(li)], ["index", String(index)]]) {
          const input = element("input");
          input.type = "hidden";
          input.name = name;
          input.value = value;
          form.append(input);
        }
        document.body.append(form);
        form.submit();
      });
    });
  }
})();
