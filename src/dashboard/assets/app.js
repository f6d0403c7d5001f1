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
    // Copy buttons: the text of the element they name goes to the clipboard.
    const copy = event.target.closest('[data-copy]');
    if (copy) {
      const source = document.getElementById(copy.getAttribute('data-copy'));
      if (!source) return;
      const text = ('value' in source ? source.value : source.textContent).trim();
      const label = copy.getAttribute('data-label') || copy.textContent;
      copy.setAttribute('data-label', label);
      navigator.clipboard.writeText(text).then(
        () => {
          copy.textContent = 'Copied';
          setTimeout(() => {
            copy.textContent = label;
          }, 2000);
        },
        () => {
          copy.textContent = 'Select the text and copy it';
        },
      );
    }
    const remove = event.target.closest('[data-remove-row]');
    if (remove) {
      event.preventDefault();
      remove.closest('.rule-row')?.remove();
    }
  });
  // The clipboard API exists only in secure contexts; elsewhere the buttons stay hidden and the text selectable.
  if (navigator.clipboard) for (const b of document.querySelectorAll('[data-copy]')) b.hidden = false;
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
  // The access log's live tail: each `entry` event becomes a row at the top (text only, never HTML).
  const tail = document.querySelector('[data-log-stream]');
  if (tail && 'EventSource' in window) {
    const source = new EventSource(tail.getAttribute('data-log-stream'));
    source.addEventListener('entry', (e) => {
      try {
        const x = JSON.parse(e.data);
        const row = document.createElement('tr');
        if (x.decision === 'deny') row.className = 'denied';
        const request = x.kind === 'http' ? `${x.method || ''} ${x.host || ''}${x.path || ''}` : x.kind;
        for (const text of [
          x.at,
          x.route_id ?? '',
          x.client,
          x.decision,
          `${x.check || ''} ${x.rule || ''}`,
          request,
          x.status ?? '',
          `${x.bytes_in}/${x.bytes_out}`,
          x.duration_ms,
        ]) {
          const cell = document.createElement('td');
          cell.textContent = String(text);
          row.appendChild(cell);
        }
        tail.insertBefore(row, tail.firstChild);
        while (tail.children.length > 200) tail.lastChild.remove();
      } catch {}
    });
    window.addEventListener('pagehide', () => source.close());
  }
})();
