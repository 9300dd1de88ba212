// Turns a click on a step into a message for the extension, which reveals the line.
(function () {
  const vscode = acquireVsCodeApi();
  function reveal(el) {
    vscode.postMessage({ type: 'reveal', line: Number(el.dataset.line), character: Number(el.dataset.character) });
  }
  document.addEventListener('click', function (event) {
    const target = event.target instanceof Element ? event.target.closest('[data-line]') : null;
    if (target) reveal(target);
  });
})();
