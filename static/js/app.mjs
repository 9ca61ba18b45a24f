// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();

// Wide tables and charts scroll in their own boxes (templates/dashboard/tables.html), which the
// server makes focusable so a keyboard can scroll them. Only a box that does scroll keeps its
// place in the tab order, and only then is the note above it ("Scroll the table sideways")
// shown.
const scrollBoxes = document.querySelectorAll(".app-table-scroll");
const markScrolling = () => {
  for (const box of scrollBoxes) {
    const scrolls = box.scrollWidth > box.clientWidth;
    if (scrolls) box.setAttribute("tabindex", "0");
    else box.removeAttribute("tabindex");
    const note = box.previousElementSibling;
    if (note && note.classList.contains("app-scroll-note")) note.hidden = !scrolls;
  }
};
if (scrollBoxes.length) {
  markScrolling();
  window.addEventListener("resize", markScrolling);
}

// A form that is on its way to the server is not sent again by a second click or Enter: a
// double click would otherwise send a booking, a referral or a decision twice. Forms htmx sends
// (it cancels the browser's own submission) are left alone. The guard lifts when the page is
// shown again (Back) and after 10 seconds, in case the first request never returned.
const SEND_GUARD_MS = 10000;
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
  if (form.method.toLowerCase() !== "post") return;
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "true";
  window.setTimeout(() => delete form.dataset.sending, SEND_GUARD_MS);
});
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form[data-sending]")) delete form.dataset.sending;
});

// A "Print this page" button: shown only where this script runs, as printing needs it.
for (const button of document.querySelectorAll("button[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}

// A button that htmx replaces with its answer (a PDF being prepared, then ready) leaves focus
// nowhere: the box around it that stays ([data-keep-focus], a live region) takes it instead,
// so keyboard users carry on from there. Swaps that did not hold the focus (polling) move
// nothing.
let keepFocus = null;
document.body.addEventListener("htmx:beforeSwap", (event) => {
  const target = event.detail.target;
  keepFocus = target?.contains(document.activeElement)
    ? target.closest("[data-keep-focus]")
    : null;
});
document.body.addEventListener("htmx:afterSettle", () => {
  if (keepFocus?.isConnected && !keepFocus.contains(document.activeElement)) keepFocus.focus();
  keepFocus = null;
});

// Signed-in pages: the session ends after a while with no request to the server (the idle
// timeout). Typing into a form counts as being here, so the server is told, at most every two
// minutes; three minutes before the end a banner offers to stay signed in, so that answers being
// written are not lost. The banner's countdown starts again whenever the server is told.
const sessionWarning = document.getElementById("session-warning");
if (sessionWarning) {
  const WARN_BEFORE_MS = 180000;
  const TELL_EVERY_MS = 120000;
  const idleMs = Number(sessionWarning.dataset.seconds) * 1000;
  let told = Date.now();
  let timer = null;
  // The banner sits over the foot of the page; the page gains room below so that its end (the
  // footer's urgent-help links) can still be reached.
  const showWarning = (shown) => {
    sessionWarning.hidden = !shown;
    document.body.classList.toggle("app-session-warning-shown", shown);
  };
  const countDown = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => showWarning(true), Math.max(0, idleMs - WARN_BEFORE_MS));
  };
  const tellServer = async () => {
    told = Date.now();
    try {
      const response = await fetch(sessionWarning.dataset.url, {
        credentials: "same-origin",
        redirect: "manual",
      });
      if (response.status === 401) {
        const text = sessionWarning.querySelector("p");
        text.textContent =
          "You have been signed out. Copy anything you have written and not sent, then ";
        const signIn = document.createElement("a");
        signIn.href = `/account/login/?next=${encodeURIComponent(window.location.pathname)}`;
        signIn.target = "_blank";
        signIn.textContent = "sign in again (opens in a new tab)";
        text.append(signIn, ".");
        sessionWarning.querySelector("[data-still-here]").hidden = true;
        showWarning(true);
      }
      if (response.status !== 204) return;
    } catch {
      return;
    }
    showWarning(false);
    countDown();
  };
  document.addEventListener("input", (event) => {
    if (event.target.form && Date.now() - told > TELL_EVERY_MS) tellServer();
  });
  sessionWarning.querySelector("[data-still-here]").addEventListener("click", tellServer);
  countDown();
}
