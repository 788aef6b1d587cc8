// The case page: follow requests still on their way; reload when one finishes so its certificate shows.
(() => {
  const table = document.getElementById("requests");
  if (!table) return;
  const labels = JSON.parse(table.dataset.labels);
  const active = new Set(table.dataset.active.split(","));
  const rows = () => [...table.querySelectorAll("tr[data-job]")];
  async function poll() {
    let jobs = null;
    try {
      const response = await fetch(`/api/registry/cases/${table.dataset.case}/requests`);
      if (response.ok) jobs = await response.json();
    } catch (error) { /* the server is restarting: try again below */ }
    if (jobs === null) { setTimeout(poll, 5000); return; }
    let finished = false;
    for (const job of jobs) {
      const row = table.querySelector(`tr[data-job="${job.id}"]`);
      if (!row || row.dataset.state === job.state) continue;
      finished = finished || !active.has(job.state);
      row.dataset.state = job.state;
      row.querySelector(".state").textContent = labels[job.state] || job.state;
      row.querySelector(".attempts").textContent = job.attempts;
    }
    if (finished) { location.reload(); return; }
    if (rows().some((row) => active.has(row.dataset.state))) setTimeout(poll, 1500);
  }
  if (rows().some((row) => active.has(row.dataset.state))) setTimeout(poll, 1000);
})();
