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
