// An announcement's page: the progress bar and figures follow the sending until it is done or cancelled.
(function () {
  "use strict";
  const box = document.getElementById("announcement");
  if (!box) return;
  const bar = document.getElementById("announcement-bar");
  const figures = box.querySelector("[data-field=figures]");
  const state = box.querySelector("[data-field=state]");
  const words = {};
  box.querySelectorAll("[data-state-word]").forEach((word) => { words[word.dataset.stateWord] = word.textContent; });
  const running = (found) => found === "scheduled" || found === "sending";

  async function follow() {
    try {
      const response = await fetch(`/api/admin/announcements/${box.dataset.id}`, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const found = await response.json();
        found.done = found.sent + found.failed + found.gone;
        bar.max = found.total || 1;
        bar.value = found.done;
        bar.textContent = `${found.percent}%`;
        // The figures change quietly; only a new state is announced (the state's role="status").
        figures.textContent = figures.dataset.template.replace(/\{(\w+)\}/g, (_, key) => String(found[key]));
        if (found.state !== box.dataset.state) {
          box.dataset.state = found.state;
          state.textContent = words[found.state] || found.state;
        }
        if (!running(found.state)) return;
      }
    } catch (error) {
      // The network came and went: the next look tries again.
    }
    setTimeout(follow, 2000);
  }

  if (running(box.dataset.state)) setTimeout(follow, 2000);
})();
