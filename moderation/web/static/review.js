// The review pages' script, a progressive enhancement: every action is an ordinary
// form that works without this file. It adds
// - keys on the queue: j/k next/previous row, x tick it, a/s/p/r approve, spam,
//   promo, reject, u undo your last action, Enter open the comment;
// - inline updates: actions and undos are posted with fetch (asking for JSON) and
//   the page is updated in place instead of reloaded;
// - a live "Publish and deploy" status page.
(function () {
  "use strict";

  var field = document.body.getAttribute("data-csrf-field") || "csrf_token";

  function flash(kind, lines) {
    var area = document.getElementById("flash-area");
    if (!area || !lines || !lines.length) {
      return;
    }
    var box = document.createElement("div");
    box.className = "flash flash-" + kind;
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    var head = document.createElement("p");
    head.textContent = lines[0];
    box.appendChild(head);
    if (lines.length > 1) {
      var list = document.createElement("ul");
      lines.slice(1).forEach(function (line) {
        var item = document.createElement("li");
        item.textContent = line;
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    area.textContent = "";
    area.appendChild(box);
  }

  function updateCounts(counts) {
    if (!counts) {
      return;
    }
    Object.keys(counts).forEach(function (tab) {
      var link = document.querySelector('a[data-tab="' + tab + '"] .count');
      if (link) {
        link.textContent = String(counts[tab]);
      }
    });
  }

  // Post a form as the page would, but ask for JSON; null when that did not work
  // (the caller then submits the form the ordinary way).
  function postForJson(form, submitter) {
    var data = new FormData(form, submitter || undefined);
    // getAttribute: form.action would be the bulk bar's <select name="action">.
    return fetch(form.getAttribute("action"), {
      method: "POST",
      body: new URLSearchParams(data),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      if (type.indexOf("application/json") === -1) {
        return null;
      }
      return response.json();
    }).catch(function () {
      return null;
    });
  }

  function plainSubmit(form, submitter) {
    form.setAttribute("data-plain", "yes");
    if (form.requestSubmit) {
      form.requestSubmit(submitter || undefined);
    } else {
      form.submit();
    }
  }

  // -- the queue ---------------------------------------------------------------------

  var queueForm = document.getElementById("queue-form");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-id]"));
  var current = -1;
  var help = document.getElementById("key-help");
  if (help && rows.length) {
    help.hidden = false;
  }
  var params = new URLSearchParams(location.search);
  var tab = params.get("status") || "held";

  function select(index, focus) {
    if (!rows.length) {
      current = -1;
      return;
    }
    index = Math.max(0, Math.min(index, rows.length - 1));
    if (current >= 0 && rows[current]) {
      rows[current].classList.remove("current");
    }
    current = index;
    rows[index].classList.add("current");
    if (focus) {
      rows[index].focus();
      rows[index].scrollIntoView({ block: "nearest" });
    }
  }

  function watchRow(row) {
    row.addEventListener("focusin", function () {
      select(rows.indexOf(row), false);
    });
  }
  rows.forEach(watchRow);

  function removeRows(ids) {
    var keep = current;
    ids.forEach(function (id) {
      var row = document.getElementById("row-" + id);
      if (!row) {
        return;
      }
      var index = rows.indexOf(row);
      rows.splice(index, 1);
      row.parentNode.removeChild(row);
      if (index < keep) {
        keep -= 1;
      }
    });
    if (rows.length) {
      select(Math.min(Math.max(keep, 0), rows.length - 1), true);
    } else {
      current = -1;
    }
  }

  function showUndo(actionId, text) {
    var bar = document.getElementById("undo-bar");
    if (!bar || !actionId) {
      return;
    }
    bar.textContent = "";
    bar.hidden = false;
    var form = document.createElement("form");
    form.method = "post";
    form.action = "/undo";
    form.className = "undo";
    form.setAttribute("data-inline", "");
    [
      [field, queueForm.querySelector('input[name="' + field + '"]').value],
      ["next", location.pathname + location.search],
      ["action_id", actionId],
    ].forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = pair[0];
      input.value = pair[1];
      form.appendChild(input);
    });
    var note = document.createElement("p");
    note.textContent = "Your last action: " + text;
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "action action-undo";
    button.textContent = "Undo it";
    form.appendChild(button);
    bar.appendChild(note);
    bar.appendChild(form);
  }

  if (queueForm) {
    queueForm.addEventListener("submit", function (event) {
      if (queueForm.getAttribute("data-plain") === "yes" || tab === "all") {
        return; // the 'all' tab keeps moved rows: let the page reload
      }
      var submitter = event.submitter;
      event.preventDefault();
      postForJson(queueForm, submitter).then(function (answer) {
        if (answer === null) {
          plainSubmit(queueForm, submitter);
          return;
        }
        if (answer.reload) {
          // A comment was edited since the page showed it: show its new text.
          sessionStorage.setItem("review-flash", JSON.stringify(answer));
          location.reload();
          return;
        }
        flash(answer.kind, answer.lines);
        updateCounts(answer.counts);
        if (answer.changed && answer.changed.length) {
          removeRows(answer.changed);
          showUndo(answer.action_id, answer.lines[0]);
        }
      });
    });
  }

  // Undo forms: posted inline, then the page is read again (the comments come back).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-inline") || form.getAttribute("data-plain")) {
      return;
    }
    event.preventDefault();
    postForJson(form, event.submitter).then(function (answer) {
      if (answer === null) {
        plainSubmit(form);
        return;
      }
      sessionStorage.setItem("review-flash", JSON.stringify(answer));
      location.reload();
    });
  });

  var kept = sessionStorage.getItem("review-flash");
  if (kept) {
    sessionStorage.removeItem("review-flash");
    try {
      var answer = JSON.parse(kept);
      flash(answer.kind, answer.lines);
    } catch (ignored) {
      // a message that cannot be read is not worth an error
    }
  }

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

  function undoLast() {
    var button = document.querySelector("#undo-bar button");
    if (button) {
      button.click();
      return;
    }
    var form = document.querySelector('form[action="/logout"]');
    if (!form) {
      return;
    }
    var undo = document.createElement("form");
    undo.method = "post";
    undo.action = "/undo";
    undo.setAttribute("data-inline", "");
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = field;
    token.value = form.querySelector('input[name="' + field + '"]').value;
    var next = document.createElement("input");
    next.type = "hidden";
    next.name = "next";
    next.value = location.pathname + location.search;
    undo.appendChild(token);
    undo.appendChild(next);
    document.body.appendChild(undo);
    undo.requestSubmit();
  }

  var actions = { a: "approve", s: "spam", p: "promo", r: "reject" };
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) {
      return;
    }
    var key = event.key;
    if (key === "u") {
      undoLast();
    } else if (!rows.length) {
      return;
    } else if (key === "j") {
      select(current < 0 ? 0 : current + 1, true);
    } else if (key === "k") {
      select(current < 0 ? 0 : current - 1, true);
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
      button.click();
    } else {
      return;
    }
    event.preventDefault();
  });

  // -- the deploy page -------------------------------------------------------------------

  var deploy = document.getElementById("deploy");
  if (deploy && deploy.getAttribute("data-running") === "yes") {
    var poll = function () {
      fetch("/deploy", { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          return response.json();
        })
        .then(function (status) {
          var list = document.getElementById("deploy-progress");
          if (!list) {
            list = document.createElement("ol");
            list.id = "deploy-progress";
            list.className = "progress";
            deploy.appendChild(list);
          }
          list.textContent = "";
          status.progress.forEach(function (line) {
            var item = document.createElement("li");
            item.textContent = line;
            list.appendChild(item);
          });
          if (status.running) {
            setTimeout(poll, 700);
          } else {
            location.reload();
          }
        })
        .catch(function () {
          setTimeout(poll, 2000);
        });
    };
    setTimeout(poll, 500);
  }
})();
