// Switches the shown path and turns a click on a step into a message for the
// extension, which reveals the line. The flagged step is scrolled into view.
/* global acquireVsCodeApi */
(function () {
  const vscode = acquireVsCodeApi();
  function reveal(el) {
    vscode.postMessage({ type: 'reveal', line: Number(el.dataset.line), character: Number(el.dataset.character) });
  }
  function showFlagged(section) {
    const flagged = section && section.querySelector('tr.flagged');
    if (flagged) flagged.scrollIntoView({ block: 'center' });
  }
  document.addEventListener('click', function (event) {
    const target = event.target instanceof Element ? event.target.closest('[data-line]') : null;
    if (target) reveal(target);
  });
  const picker = document.getElementById('path-picker');
  if (picker) {
    picker.addEventListener('change', function () {
      let shown = null;
      for (const s of document.querySelectorAll('section.path')) {
        const on = s.dataset.index === picker.value;
        s.hidden = !on;
        if (on) shown = s;
      }
      showFlagged(shown);
    });
  }
  showFlagged(document.querySelector('section.path:not([hidden])'));
})();
