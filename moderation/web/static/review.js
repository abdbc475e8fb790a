// Keyboard triage for the review queue, as a progressive enhancement: every action
// is an ordinary form button that works without this file; the keys only press them.
// j/k: next/previous row, x: tick its checkbox, a/s/p/r: approve/spam/promo/reject,
// Enter: open the comment.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-id]"));
  if (!rows.length) {
    return;
  }
  var help = document.getElementById("key-help");
  if (help) {
    help.hidden = false;
  }
  var actions = { a: "approve", s: "spam", p: "promo", r: "reject" };
  // After an action the page comes back (POST-redirect-GET); stay at the same place.
  var remembered = "review-position:" + location.pathname + location.search;
  var current = -1;

  function select(index, focus) {
    if (index < 0 || index >= rows.length) {
      return;
    }
    if (current >= 0) {
      rows[current].classList.remove("current");
    }
    current = index;
    rows[index].classList.add("current");
    if (focus) {
      rows[index].focus();
      rows[index].scrollIntoView({ block: "nearest" });
    }
  }

  rows.forEach(function (row, index) {
    row.addEventListener("focusin", function () {
      select(index, false);
    });
  });

  function typing(element) {
    if (!element || !element.tagName) {
      return false;
    }
    var tag = element.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || element.isContentEditable) {
      return true;
    }
    return tag === "input" && element.type !== "checkbox";
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) {
      return;
    }
    var key = event.key;
    if (key === "j") {
      select(current < 0 ? 0 : Math.min(current + 1, rows.length - 1), true);
    } else if (key === "k") {
      select(current < 0 ? 0 : Math.max(current - 1, 0), true);
    } else if (current < 0) {
      return;
    } else if (key === "x") {
      var box = rows[current].querySelector("input[type=checkbox]");
      if (box) {
        box.checked = !box.checked;
      }
    } else if (key === "Enter" && event.target === rows[current]) {
      var link = rows[current].querySelector("a.author");
      if (link) {
        link.click();
      }
    } else if (Object.prototype.hasOwnProperty.call(actions, key)) {
      var button = rows[current].querySelector('button[data-action="' + actions[key] + '"]');
      if (!button) {
        return;
      }
      sessionStorage.setItem(remembered, String(current));
      button.click();
    } else {
      return;
    }
    event.preventDefault();
  });

  var saved = sessionStorage.getItem(remembered);
  if (saved !== null) {
    sessionStorage.removeItem(remembered);
    select(Math.min(parseInt(saved, 10) || 0, rows.length - 1), true);
  }
})();
