// The rule editor's live check: as the text changes (after a pause), ask the server what `apply`
// would say and what the query matches in the last lookback, and show its answer.
(function () {
  const form = document.getElementById("rule-editor");
  if (!form) return;
  const text = form.querySelector("textarea[name=text]");
  const out = document.getElementById("rule-check");
  const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  let timer = null;
  let asked = 0;

  async function check() {
    const mine = ++asked;
    const body = new URLSearchParams({ text: text.value });
    const response = await fetch(form.dataset.checkUrl, {
      method: "POST", body, headers: { "X-CSRFToken": token }, credentials: "same-origin",
    });
    if (mine === asked && response.ok) out.innerHTML = await response.text();
  }

  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  });
  document.getElementById("check-button").addEventListener("click", function (event) {
    event.preventDefault();
    check();
  });
})();
