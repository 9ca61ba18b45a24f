// Day form: show the headache details only once "Yes" is chosen. Progressive enhancement:
// without JavaScript every question is shown. Done here rather than with NHS.UK conditional
// radios, which put aria-expanded on the radio input (not allowed on role radio; axe fails it).
const details = document.getElementById("headache-details");
const yes = document.getElementById("id_headache_0");

if (details && yes) {
  const sync = () => {
    details.classList.toggle("nhsuk-radios__conditional--hidden", !yes.checked);
  };
  document
    .querySelectorAll('input[name="headache"]')
    .forEach((input) => input.addEventListener("change", sync));
  window.addEventListener("pageshow", sync);
  sync();
}

// "Add another headache" (htmx appends it to the list): the new headache's first answer takes
// focus, and the new headache is announced, so keyboard and screen reader users are not left
// on the button with nothing said (WCAG 2.4.3, 4.1.3).
document.body.addEventListener("htmx:afterSwap", (event) => {
  const list = event.detail.target;
  if (!list || list.id !== "episode-list") return;
  // At the day's limit the answer is only the limit's message: nothing was added.
  if (!(event.detail.xhr?.responseText || "").includes("app-diary-episode")) return;
  const added = list.querySelector("fieldset.app-diary-episode:last-of-type");
  if (!added) return;
  const heading = added.querySelector("legend");
  const status = document.getElementById("episode-limit");
  if (status && heading) status.textContent = `${heading.textContent.trim()} added.`;
  const first = added.querySelector("input:not([type=hidden]), select, textarea");
  if (first) first.focus();
});
