// onewindow portal: the few behaviours that need a script. Every page works without it.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    // On a narrow screen the main navigation folds behind a "Menu" button.
    var toggle = document.querySelector(".menu-toggle");
    var header = document.querySelector("header.top");
    if (toggle && header) {
      toggle.addEventListener("click", function () {
        var open = header.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
  });
})();
