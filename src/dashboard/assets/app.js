// Small enhancements; every form works without this file.
(() => {
  // Rule rows of the IP filter: "Add rule" clones the template row instead of a round trip.
  document.addEventListener('click', (event) => {
    const add = event.target.closest('[data-add-rule]');
    if (add) {
      const body = document.getElementById(add.getAttribute('data-add-rule'));
      const template = body?.querySelector('template');
      if (!body || !template) return;
      event.preventDefault();
      const row = template.content.firstElementChild.cloneNode(true);
      const n = body.querySelectorAll('.rule-row').length;
      for (const el of row.querySelectorAll('[id]')) el.id = el.id.replace('__n__', String(n));
      for (const el of row.querySelectorAll('label[for]')) el.htmlFor = el.htmlFor.replace('__n__', String(n));
      body.insertBefore(row, template);
      row.querySelector('input')?.focus();
    }
    const remove = event.target.closest('[data-remove-row]');
    if (remove) {
      event.preventDefault();
      remove.closest('.rule-row')?.remove();
    }
  });
  // Live status: elements with data-live="<event>" are replaced by the server's fragment for that event.
  const live = document.querySelector('[data-live-stream]');
  if (live && 'EventSource' in window) {
    const source = new EventSource(live.getAttribute('data-live-stream'));
    source.addEventListener('status', (e) => {
      try {
        const update = JSON.parse(e.data);
        for (const [id, html] of Object.entries(update)) {
          const el = document.getElementById(id);
          if (el && el.innerHTML !== html) el.innerHTML = html;
        }
      } catch {}
    });
    window.addEventListener('pagehide', () => source.close());
  }
})();
