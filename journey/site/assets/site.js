// Progressive enhancement only: without this script every language is shown,
// one after another. With it, a switch shows one language at a time.
(function () {
  "use strict";
  function show(value) {
    document.querySelectorAll("[data-preview-locale]").forEach(function (group) {
      group.hidden = value !== "all" && group.getAttribute("data-preview-locale") !== value;
    });
  }
  document.querySelectorAll("[data-locale-switch]").forEach(function (box) {
    box.hidden = false;
    var checked = box.querySelector("input:checked");
    if (checked) { show(checked.value); }
    box.addEventListener("change", function (event) {
      if (event.target && event.target.name === "preview-locale") { show(event.target.value); }
    });
  });
})();
