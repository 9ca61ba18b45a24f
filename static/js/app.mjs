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
