/*
 * share/mastodon.html: send the reader to their own Mastodon server's share form.
 *
 * The article's link brings ?text=<title and canonical address>. The reader names
 * their server (mastodon.social, https://mastodon.social/ and @me@mastodon.social
 * all work); the name is kept in localStorage for next time and never sent to
 * this site. Without this script the page explains how to share by hand.
 */
(function () {
  "use strict";

  var STORAGE_KEY = "mastodon-server";
  // Host names: dot-separated labels, a top-level name, an optional port. Each label
  // ends at a dot, so the pattern never backtracks.
  var HOST = /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}(?::[0-9]{1,5})?$/;
  var form = document.getElementById("mastodon-share");
  var server = document.getElementById("mastodon-server");
  var text = document.getElementById("mastodon-text");
  var error = document.getElementById("mastodon-error");
  var fallback = document.getElementById("share-fallback");
  if (!form || !server || !text || !error) {
    return;
  }

  function serverName(value) {
    var name = value.trim().toLowerCase();
    name = name.replace(/^[a-z][a-z0-9+.-]*:\/\//, "");
    name = name.split(/[/?#]/)[0];
    // "@me@example.social" or "me@example.social": the server follows the last @.
    name = name.slice(name.lastIndexOf("@") + 1);
    return name.length <= 253 && HOST.test(name) ? name : "";
  }

  function complain(message, field) {
    error.textContent = message;
    error.hidden = false;
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }

  text.value = new URLSearchParams(window.location.search).get("text") || "";
  try {
    server.value = window.localStorage.getItem(STORAGE_KEY) || "";
  } catch (ignored) {
    // Storage may be off; the reader just types the name again.
  }
  form.hidden = false;
  if (fallback) {
    fallback.hidden = true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.hidden = true;
    server.removeAttribute("aria-invalid");
    text.removeAttribute("aria-invalid");
    var host = serverName(server.value);
    if (!host) {
      complain("Write your server\u2019s name, like mastodon.social.", server);
      return;
    }
    if (!text.value.trim()) {
      complain("Write something to post.", text);
      return;
    }
    try {
      window.localStorage.setItem(STORAGE_KEY, host);
    } catch (ignored) {
      // Not remembered; sharing still works.
    }
    window.location.assign("https://" + host + "/share?text=" + encodeURIComponent(text.value));
  });
})();
