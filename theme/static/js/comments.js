/*
 * Progressive enhancement for the comment form. The page works without it:
 * the form posts as plain HTML and reply links open the intake's reply page.
 *
 * 1. Fetch a form token from the intake service (data-token-url) and put it in
 *    the hidden "token" field. Failures are ignored: the comment is then held
 *    for review instead of being refused.
 * 2. Turn reply links into "fill reply_to, say who is being answered, focus
 *    the form" so readers stay on the article.
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
      noticeName.textContent = authorName || "a comment";
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

  fetchToken();
})();
