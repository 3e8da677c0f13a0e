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
    // Buttons that cannot be undone ask first (the server asks for the reason as well).
    document.querySelectorAll("[data-confirm]").forEach(function (button) {
      var form = button.form;
      if (!form) { return; }
      form.addEventListener("submit", function (event) {
        if (event.submitter === button && !window.confirm(button.getAttribute("data-confirm"))) {
          event.preventDefault();
        }
      });
    });
  });
})();
