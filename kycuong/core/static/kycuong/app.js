// Tree nodes: the toggle button loads a branch once (htmx), then shows or hides it.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-tree-toggle]");
  if (!toggle) return;
  const branch = document.getElementById(toggle.getAttribute("aria-controls"));
  const expanded = toggle.getAttribute("aria-expanded") === "true";
  toggle.setAttribute("aria-expanded", String(!expanded));
  toggle.querySelector("i")?.classList.toggle("bi-chevron-right", expanded);
  toggle.querySelector("i")?.classList.toggle("bi-chevron-down", !expanded);
  if (branch) branch.hidden = expanded;
  if (!expanded && branch && !branch.dataset.loaded) {
    branch.dataset.loaded = "1";
    htmx.ajax("GET", toggle.dataset.url, { target: branch, swap: "innerHTML" });
  }
});
