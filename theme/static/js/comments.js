/*
 * Progressive enhancement for the comment form. The page works without it:
 * the form posts as plain HTML and reply links open the intake's reply page.
 *
 * 1. Fetch a form token from the intake service (data-token-url) and put it in
 *    the hidden "token" field. Failures are ignored: the comment is then held
 *    for review instead of being refused.
 * 2. Turn reply links into "fill reply_to, say who is being answered, focus
 *    the form" so readers stay on the article.
 * 3. Show the preview inline: "Preview" posts the same fields as JSON (with
 *    preview=1) and the intake answers with the HTML the site will show. If
 *    that fails, the reader is told and can press Preview again or send.
 *
 * Words the reader sees come from the page (data-text-* attributes), which the
 * theme translates.
 */
(function () {
  "use strict";

  var form = document.getElementById("comment-form");
  if (!form) {
    return;
  }

  function fetchToken() {
    var url = form.getAttribute("data-token-url");
    var field = form.elements.namedItem("token");
    if (!url || !field || !window.fetch) {
      return;
    }
    window.fetch(url, { credentials: "omit", cache: "no-store" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && typeof data.token === "string") {
          field.value = data.token;
        }
      })
      .catch(function () {
        /* Token is optional: without it the comment is held, not refused. */
      });
  }

  var replyField = form.elements.namedItem("reply_to");
  var notice = form.querySelector(".replying");
  var noticeName = form.querySelector(".replying__name");
  var cancel = form.querySelector(".replying__cancel");

  function startReply(commentId, authorName) {
    replyField.value = commentId;
    if (notice && noticeName) {
      noticeName.textContent = authorName || form.getAttribute("data-text-a-comment") || "";
      notice.hidden = false;
    }
    var calm = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    form.scrollIntoView({ behavior: calm ? "auto" : "smooth", block: "start" });
    var first = form.elements.namedItem("name");
    if (first && first.value) {
      first = form.elements.namedItem("body");
    }
    if (first) {
      first.focus({ preventScroll: true });
    }
  }

  function cancelReply() {
    replyField.value = "";
    if (notice) {
      notice.hidden = true;
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.comment-reply") : null;
    if (!link || !replyField) {
      return;
    }
    var commentId = link.getAttribute("data-reply-to");
    if (!commentId) {
      return;
    }
    event.preventDefault();
    startReply(commentId, link.getAttribute("data-reply-author"));
  });

  if (cancel) {
    cancel.addEventListener("click", function () {
      cancelReply();
      var body = form.elements.namedItem("body");
      if (body) {
        body.focus();
      }
    });
  }

  var preview = document.getElementById("comment-preview");

  function fields() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || element.type === "submit" || element.type === "button") {
        return;
      }
      if (element.type === "checkbox") {
        if (element.checked) {
          data[element.name] = element.value;
        }
        return;
      }
      data[element.name] = element.value;
    });
    data.preview = "1";
    return data;
  }

  function showPreview(result) {
    var problem = preview.querySelector(".comment-preview__problem");
    var shown = preview.querySelector(".comment--preview");
    if (result.error) {
      problem.textContent = result.error;
      problem.hidden = false;
      shown.hidden = true;
    } else {
      problem.hidden = true;
      shown.hidden = false;
      shown.querySelector(".comment__author").textContent = result.author;
      var avatar = shown.querySelector(".avatar");
      if (result.avatar) {
        /* An SVG the intake drew from a hash: no markup of the reader's. */
        avatar.innerHTML = result.avatar;
        avatar.className = "avatar avatar--identicon";
      } else {
        avatar.textContent = result.author.trim().charAt(0).toUpperCase();
        avatar.className = "avatar avatar--plain";
      }
      /* The intake's rendering: Markdown through the same cmark and nh3 allowlist
         as the published page, so it holds no markup that could run. */
      shown.querySelector(".comment__content").innerHTML = result.html;
    }
    preview.hidden = false;
    preview.querySelector(".comment-preview__heading").focus();
  }

  function failed() {
    showPreview({ error: form.getAttribute("data-text-preview-failed") || "" });
  }

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!preview || !button || button.name !== "preview" || !window.fetch) {
      return; /* sending, or an old browser: the form posts as plain HTML */
    }
    event.preventDefault();
    window.fetch(form.action, {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(fields())
    })
      .then(function (response) {
        return response.json().then(function (data) {
          if (response.ok && data.preview) {
            showPreview(data.preview);
          } else if (data && data.error) {
            showPreview({ error: data.error });
          } else {
            failed();
          }
        });
      })
      .catch(failed);
  });

  fetchToken();
})();
