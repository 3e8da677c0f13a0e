/* Pick lists that search as one types: every <input data-pick="LIST"> becomes a combobox
   (WAI-ARIA 1.2 pattern) over /api/v1/reference/pick/LIST; the field keeps the code, so the form
   works the same without this script. Buttons with data-fill put a code into a field. */
(function () {
  "use strict";
  var counter = 0;

  function setUp(input) {
    var list = document.createElement("ul");
    var status = document.createElement("span");
    var id = "pick-" + (++counter);
    var active = -1;
    var timer = null;
    var asked = 0;
    list.id = id;
    list.className = "pick-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Choices: " + (input.labels && input.labels[0] ? input.labels[0].textContent.trim() : input.name));
    list.hidden = true;
    status.className = "sr-only";
    status.setAttribute("aria-live", "polite");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);
    var wrap = document.createElement("div");
    wrap.className = "pick";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    wrap.appendChild(list);
    wrap.appendChild(status);

    function options() { return list.querySelectorAll("[role=option]"); }

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function mark(index) {
      var all = options();
      if (!all.length) { return; }
      active = (index + all.length) % all.length;
      all.forEach(function (o, i) { o.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }

    function choose(option) {
      input.value = option.getAttribute("data-code");
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
      input.focus();
    }

    function show(choices) {
      list.textContent = "";
      choices.forEach(function (c, i) {
        var li = document.createElement("li");
        var code = document.createElement("code");
        li.id = id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-code", c.code);
        code.textContent = c.code;
        li.appendChild(code);
        li.appendChild(document.createTextNode(" " + c.label));
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(li); });
        list.appendChild(li);
      });
      active = -1;
      list.hidden = choices.length === 0;
      input.setAttribute("aria-expanded", choices.length ? "true" : "false");
      status.textContent = choices.length ? choices.length + " choices; use the arrow keys" : "Nothing matches";
    }

    function search() {
      var mine = ++asked;
      var url = "/api/v1/reference/pick/" + encodeURIComponent(input.getAttribute("data-pick")) +
        "?limit=12&q=" + encodeURIComponent(input.value.trim());
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (choices) { if (mine === asked && document.activeElement === input) { show(choices); } })
        .catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 120);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (list.hidden) { search(); return; }
        mark(active + (e.key === "ArrowDown" ? 1 : -1));
      } else if (e.key === "Enter" && !list.hidden && active >= 0) {
        e.preventDefault();
        choose(options()[active]);
      } else if (e.key === "Escape" && !list.hidden) {
        e.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function fill(button) {
    var target = document.getElementById(button.getAttribute("data-fill"));
    if (!target) { return; }
    target.value = button.getAttribute("data-code");
    target.removeAttribute("aria-invalid");
    target.focus();
  }

  document.querySelectorAll("input[data-pick]").forEach(setUp);
  document.querySelectorAll("button[data-fill]").forEach(function (b) {
    b.addEventListener("click", function () { fill(b); });
  });
})();
