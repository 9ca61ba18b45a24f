// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();

// Wide tables and charts scroll in their own boxes (templates/dashboard/tables.html), which the
// server makes focusable so a keyboard can scroll them. Only a box that does scroll keeps its
// place in the tab order.
const scrollBoxes = document.querySelectorAll(".app-table-scroll");
const markScrolling = () => {
  for (const box of scrollBoxes) {
    if (box.scrollWidth > box.clientWidth) box.setAttribute("tabindex", "0");
    else box.removeAttribute("tabindex");
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
