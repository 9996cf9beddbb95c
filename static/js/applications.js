/* Back office, applications: "select all" on the offer's list, keyboard shortcuts on an
   application page. Everything works without it (links and buttons are plain HTML). */
(function () {
  "use strict";

  // --- Select all (list) -------------------------------------------------------------------
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    var form = box.form || box.closest("form") || document;
    var name = box.getAttribute("data-select-all");
    function boxes() {
      return form.querySelectorAll('input[type="checkbox"][name="' + name + '"]');
    }
    box.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = box.checked; });
    });
    form.addEventListener("change", function (event) {
      if (event.target === box || event.target.name !== name) { return; }
      var all = Array.prototype.slice.call(boxes());
      var ticked = all.filter(function (b) { return b.checked; }).length;
      box.checked = ticked === all.length;
      box.indeterminate = ticked > 0 && ticked < all.length;
    });
  });

  // --- Keyboard shortcuts (application page) -----------------------------------------------
  var help = document.getElementById("shortcuts-help");
  if (!help) { return; }

  function typing(target) {
    if (!target || target === document.body) { return false; }
    if (target.isContentEditable) { return true; }
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  function follow(name) {
    var link = document.querySelector('a[data-shortcut="' + name + '"]');
    if (link) { window.location.assign(link.href); }
  }

  function toggleHelp() {
    if (help.open) { help.close(); return; }
    if (typeof help.showModal === "function") { help.showModal(); } else { help.setAttribute("open", ""); }
  }

  function goToReview() {
    var anchor = document.getElementById("review");
    if (!anchor) { return; }
    var form = anchor.querySelector("form");
    var field = form && form.querySelector("input:not([type=hidden]), select, textarea, button");
    anchor.scrollIntoView({ block: "start" });
    (field || anchor).focus({ preventScroll: true });
  }

  document.querySelectorAll("[data-shortcuts-help]").forEach(function (button) {
    button.addEventListener("click", toggleHelp);
  });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (typing(event.target)) { return; }
    if (help.open && event.key !== "?") { return; }
    var actions = {
      j: function () { follow("next"); },
      n: function () { follow("next"); },
      k: function () { follow("previous"); },
      p: function () { follow("previous"); },
      r: goToReview,
      u: function () { follow("list"); },
      "?": toggleHelp
    };
    var action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });
})();
