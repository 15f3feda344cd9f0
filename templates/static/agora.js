// Live Markdown preview. The draft goes to /api/v1/preview, which renders and sanitises
// it exactly as posting would; the page shows the result. Without JavaScript the
// "Preview" button does the same through the form, so nothing depends on this file.
(function () {
  "use strict";

  function setup(textarea) {
    var target = document.getElementById(textarea.getAttribute("data-preview"));
    var form = textarea.form;
    if (!target || !form) {
      return;
    }
    var csrf = form.querySelector('input[name="_csrf"]');
    var timer = null;
    var latest = 0;

    function render() {
      var body = textarea.value;
      var request = ++latest;
      if (body.trim() === "") {
        target.replaceChildren();
        return;
      }
      fetch("/api/v1/preview", {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "X-CSRF-Token": csrf ? csrf.value : ""
        },
        body: JSON.stringify({ body: body })
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("preview " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          // The server's HTML went through the same allow-list as stored posts.
          if (request === latest) {
            target.innerHTML = data.html;
          }
        })
        .catch(function () {
          if (request === latest) {
            target.textContent = target.getAttribute("data-failed") || "";
          }
        });
    }

    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 300);
    });
  }

  // Similar earlier threads for the title being typed: built with DOM methods, so a
  // title is always text, never markup.
  function setupSimilar(input) {
    var box = document.getElementById(input.getAttribute("data-similar"));
    if (!box) {
      return;
    }
    var timer = null;
    var latest = 0;

    function show(threads) {
      box.replaceChildren();
      if (threads.length === 0) {
        return;
      }
      var heading = document.createElement("h2");
      heading.className = "similar-heading";
      heading.textContent = box.getAttribute("data-heading") || "";
      var list = document.createElement("ul");
      threads.forEach(function (thread) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = "/t/" + encodeURIComponent(thread.id);
        link.target = "_blank";
        link.textContent = thread.title;
        item.appendChild(link);
        list.appendChild(item);
      });
      box.append(heading, list);
    }

    function lookUp() {
      var title = input.value.trim();
      var request = ++latest;
      if (title.length < 2) {
        show([]);
        return;
      }
      fetch("/api/v1/search/similar?title=" + encodeURIComponent(title), { credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : { threads: [] };
        })
        .then(function (data) {
          if (request === latest) {
            show(data.threads || []);
          }
        })
        .catch(function () {});
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookUp, 400);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-preview]").forEach(setup);
    document.querySelectorAll("input[data-similar]").forEach(setupSimilar);
  });
})();
