// doit serve: live reload and the diagnostics overlay, added to every page it serves.
//
// The server sends its state as a server-sent event whenever a build finishes:
// which build each output comes from, and the problems of the latest save. A
// newer web edition is fetched and swapped in without a reload, and newer
// pictures of the PDF's pages replace the old ones: the reader keeps their place.
(() => {
  "use strict";
  const SCRIPT = "/_serve/live.js";
  const me = document.currentScript;
  const shown = JSON.parse(me.dataset.versions || "{}");
  const onPrintPage = document.body.dataset.servePage === "print";
  document.documentElement.dataset.serveHtmlVersion = shown.html || 0;

  // The overlay lives in a shadow root beside <body>: the page's styles cannot reach it and a swap of
  // the body leaves it in place.
  const host = document.createElement("div");
  host.id = "serve-overlay";
  document.documentElement.append(host);
  const shadow = host.attachShadow({ mode: "open" });
  shadow.innerHTML = `<style>
    :host { all: initial; }
    .veil { position: fixed; inset: 0; background: rgba(255, 255, 255, .45); pointer-events: none; z-index: 2147483646; }
    .panel { position: fixed; z-index: 2147483647; left: 50%; transform: translateX(-50%); width: min(46rem, calc(100vw - 1.5rem));
      box-sizing: border-box; max-height: 60vh; overflow: auto; background: #fff; color: #1b1b1b;
      font: 14px/1.45 system-ui, sans-serif; box-shadow: 0 .5rem 2rem rgba(0, 0, 0, .25); border-radius: 6px; }
    .errors { top: .75rem; border-left: 6px solid #b3261e; padding: .8rem 1rem .6rem; }
    .warnings { bottom: .75rem; border-left: 6px solid #b26a00; padding: .4rem 1rem; }
    .title { margin: 0 0 .4rem; font-weight: 600; }
    .errors .title { color: #b3261e; }
    ul { margin: 0; padding: 0; list-style: none; }
    li { margin: .3rem 0; overflow-wrap: anywhere; }
    code { font: 13px/1.45 ui-monospace, "DejaVu Sans Mono", monospace; background: #f3f3f3; padding: 0 .2rem; }
    .error { color: #b3261e; font-weight: 600; }
    .warning { color: #8a5300; font-weight: 600; }
    summary { cursor: pointer; font-weight: 600; color: #8a5300; }
  </style><div class="veil" hidden></div><div class="panel errors" role="alert" hidden></div>
  <details class="panel warnings" hidden><summary></summary><ul></ul></details>`;
  const veil = shadow.querySelector(".veil");
  const errors = shadow.querySelector(".errors");
  const warnings = shadow.querySelector(".warnings");
  if (onPrintPage) errors.style.top = "3.25rem"; // below the print page's links

  function plural(count, word) {
    return `${count} ${word}${count === 1 ? "" : "s"}`;
  }

  // One line per problem, as the terminal prints it: path:line:col: severity: message [code]
  function problemItem(problem) {
    const item = document.createElement("li");
    const place = document.createElement("code");
    place.textContent = problem.location;
    const severity = document.createElement("span");
    severity.className = problem.severity;
    severity.textContent = problem.severity;
    item.append(place, ": ", severity, `: ${problem.message} [${problem.code}]`);
    return item;
  }

  function showProblems(state) {
    const list = state.diagnostics;
    const errorCount = list.filter((p) => p.severity === "error").length + state.failures.length;
    errors.hidden = veil.hidden = !state.failed;
    if (state.failed) {
      const title = document.createElement("p");
      title.className = "title";
      title.textContent =
        `Not rebuilt: ${plural(errorCount, "error")} in the latest save. ` +
        "The page shows the last good build; save a fix and this goes away.";
      const items = document.createElement("ul");
      items.append(...list.map(problemItem));
      for (const failure of state.failures) {
        const item = document.createElement("li");
        item.textContent = failure;
        items.append(item);
      }
      errors.replaceChildren(title, items);
    }
    warnings.hidden = state.failed || list.length === 0;
    warnings.querySelector("summary").textContent = `Built, with ${plural(list.length, "warning")}`;
    warnings.querySelector("ul").replaceChildren(...list.map(problemItem));
  }

  // Fetch the page again and swap its head and body in; one swap at a time, the newest wins.
  let swapping = Promise.resolve();
  function refreshWebEdition(version) {
    swapping = swapping.then(async () => {
      if (version <= Number(document.documentElement.dataset.serveHtmlVersion)) return;
      const response = await fetch("/", { cache: "no-store" });
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      const freshScript = fresh.querySelector(`script[src="${SCRIPT}"]`);
      const freshVersion = JSON.parse(freshScript.dataset.versions || "{}").html || 0;
      freshScript.remove();
      document.documentElement.lang = fresh.documentElement.lang;
      document.head.replaceChildren(...fresh.head.childNodes);
      document.body.replaceChildren(...fresh.body.childNodes);
      document.documentElement.dataset.serveHtmlVersion = freshVersion;
    });
  }

  // The print page shows the PDF's pages as pictures; a new build swaps each picture's source, and the
  // browser keeps the old picture on screen until the new one is there, so nothing jumps.
  let drawnPdf;
  function refreshPrintEdition(state) {
    const version = state.versions.pdf;
    if (version === undefined || version === drawnPdf) return;
    drawnPdf = version;
    const column = document.getElementById("serve-pages");
    while (column.children.length < state.pages) {
      const picture = document.createElement("img");
      picture.loading = "lazy";
      picture.alt = `Page ${column.children.length + 1} of the PDF`;
      column.append(picture);
    }
    while (column.children.length > state.pages) column.lastElementChild.remove();
    [...column.children].forEach((picture, index) => {
      picture.src = `/pages/${index + 1}.png?build=${version}`;
    });
    document.getElementById("serve-pdf-status").textContent =
      `PDF and DOCX from build ${version}, ${new Date().toLocaleTimeString()}`;
    document.documentElement.dataset.servePdfVersion = version;
  }

  const events = new EventSource("/_serve/events");
  events.addEventListener("state", (event) => {
    const state = JSON.parse(event.data);
    showProblems(state);
    if (onPrintPage) {
      refreshPrintEdition(state);
    } else if (state.versions.html !== undefined) {
      refreshWebEdition(state.versions.html);
    }
  });
})();
