/*
 * The search page: queries the site's Pagefind index in the browser.
 *
 * search.html works without this script (it then shows how to browse instead).
 * pagefind.js and its index fragments are files of this site, written by the build
 * (plugins/publishing/search.py); nothing is loaded from anywhere else. The query
 * lives in the address (?q=...), so a search can be bookmarked, shared and reloaded.
 */
(function () {
  "use strict";

  var PAGE_SIZE = 10;
  var form = document.getElementById("search-form");
  var input = document.getElementById("search-input");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var moreRow = document.getElementById("search-more-row");
  var more = document.getElementById("search-more");
  var fallback = document.getElementById("search-fallback");
  var reason = document.getElementById("search-fallback-reason");
  if (!form || !input || !status || !list || !fallback) {
    return;
  }

  var bundle = new URL(form.getAttribute("data-pagefind"), document.baseURI);
  // pagefind/ sits at the site root; results are paths below it.
  var siteRoot = new URL("../", bundle);
  var loading = null;
  var latest = 0;
  var pending = [];
  var timer = null;

  function pagefind() {
    if (!loading) {
      loading = import(bundle.href).then(function (module) {
        return Promise.resolve(module.options({ baseUrl: siteRoot.pathname })).then(function () {
          return module;
        });
      });
    }
    return loading;
  }

  // Pagefind's excerpt is the page's text with <mark> around the matches. Parse it
  // inertly and keep only text and <mark>, so nothing in it can run or link.
  function excerpt(html) {
    var parsed = new DOMParser().parseFromString("<p>" + html + "</p>", "text/html");
    var out = document.createDocumentFragment();
    parsed.body.firstChild.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        out.appendChild(mark);
      } else {
        out.appendChild(document.createTextNode(node.textContent));
      }
    });
    return out;
  }

  function resultItem(data) {
    var item = document.createElement("li");
    item.className = "search-result";
    var heading = document.createElement("h2");
    heading.className = "search-result__title";
    var link = document.createElement("a");
    link.href = data.url;
    link.textContent = (data.meta && data.meta.title) || data.url;
    heading.appendChild(link);
    item.appendChild(heading);
    if (data.meta && data.meta.date) {
      var date = document.createElement("p");
      date.className = "meta";
      date.textContent = data.meta.date;
      item.appendChild(date);
    }
    var text = document.createElement("p");
    text.className = "search-result__excerpt";
    text.appendChild(excerpt(data.excerpt || ""));
    item.appendChild(text);
    return item;
  }

  function showMore(search) {
    var batch = pending.splice(0, PAGE_SIZE);
    return Promise.all(
      batch.map(function (result) {
        return result.data();
      })
    ).then(function (pages) {
      if (search !== latest) {
        return;
      }
      pages.forEach(function (data) {
        list.appendChild(resultItem(data));
      });
      moreRow.hidden = pending.length === 0;
    });
  }

  function remember(query) {
    var address = new URL(window.location.href);
    if (query) {
      address.searchParams.set("q", query);
    } else {
      address.searchParams.delete("q");
    }
    window.history.replaceState(null, "", address.href);
  }

  function failed(search) {
    if (search !== latest) {
      return;
    }
    status.textContent = "";
    reason.textContent = "Search could not be loaded in this browser.";
    fallback.hidden = false;
  }

  function run(query) {
    var search = ++latest;
    query = query.trim();
    remember(query);
    list.replaceChildren();
    moreRow.hidden = true;
    pending = [];
    if (!query) {
      status.textContent = "";
      return;
    }
    status.textContent = "Searching\u2026";
    pagefind()
      .then(function (module) {
        return module.search(query);
      })
      .then(function (response) {
        if (search !== latest) {
          return null;
        }
        var count = response.results.length;
        pending = response.results.slice();
        status.textContent =
          count === 0
            ? "No results for \u201c" + query + "\u201d."
            : count + (count === 1 ? " result" : " results") + " for \u201c" + query + "\u201d.";
        return showMore(search);
      })
      .catch(function () {
        failed(search);
      });
  }

  form.hidden = false;
  fallback.hidden = true;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    window.clearTimeout(timer);
    run(input.value);
  });
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      run(input.value);
    }, 250);
  });
  more.addEventListener("click", function () {
    showMore(latest);
  });

  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) {
    input.value = initial;
    run(initial);
  }
})();
