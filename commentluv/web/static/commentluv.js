/* commentluv.js: the "choose your post" widget for a comment form. No dependencies.
 *
 *   <script src="/luv/commentluv.js" data-endpoint="/luv"
 *           data-url-field="url" data-name-field="author" defer></script>
 *
 * It attaches to every URL field that appears (now or drawn later by a script), shows the
 * commenter's latest post in the blog's backlink style with a <select> of the others, and
 * hands the signed choice on: hidden fields in a <form>, else POST /choose (Isso). Without
 * JavaScript nothing changes. Options, texts and theme: docs/comment-form.md.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !window.AbortController || !window.MutationObserver) return;
  var data = script.dataset;

  var TEXT = {
    line: "{name}'s last blog ..{title}",
    choose: "Or choose another recent post:",
    invalidUrl: "That does not look like a web address.",
    blocked: "That address cannot be looked up.",
    unreachable: "Your site could not be reached.",
    timeout: "Your site took too long to answer.",
    notFound: "That page was not found on your site.",
    noFeed: "No blog feed was found at that address.",
    badFeed: "Your blog feed could not be read.",
    noPosts: "Your blog feed has no posts yet.",
    other: "" // any other kind (busy, rate limited, ...): say nothing
  };
  var custom = window.CommentLuvStrings || {};
  var ownLine = false;
  Object.keys(TEXT).forEach(function (key) {
    var attribute = data["text" + key.charAt(0).toUpperCase() + key.slice(1)];
    var text = typeof attribute === "string" ? attribute : custom[key];
    if (typeof text === "string") TEXT[key] = text;
    if (typeof text === "string" && key === "line") ownLine = true;
  });

  var endpoint = (data.endpoint || "").replace(/\/+$/, "");
  if (!endpoint) return;
  var limit = Math.min(Math.max(parseInt(data.limit, 10) || 10, 1), 10);
  var delay = parseInt(data.delay, 10) || 700;
  var wait = parseInt(data.timeout, 10) || 8000;
  var SUBMIT = "[type=submit],button:not([type])";
  // Schemes that are never a site, even when digits follow ("javascript:80" is no host:port).
  var NOT_WEB = /^(javascript|data|file|vbscript|about|blob|mailto|tel|ftp|wss?):/i;
  var live = [];

  // Every field a reference names: forms drawn by scripts repeat ids and names (reply boxes).
  function fields(ref) {
    var found = [].slice.call(document.getElementsByName(ref));
    var byId = document.getElementById(ref);
    if (byId && found.indexOf(byId) < 0) found.unshift(byId);
    return found;
  }
  function make(tag, className) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    return node;
  }
  // The comment form: the field's <form>, or the nearest block holding a submit button.
  function formOf(input) {
    for (var node = input; node && !input.form; node = node.parentElement) {
      if (node.querySelector(SUBMIT)) return node;
    }
    return input.form;
  }

  // What the service would look up, or null: no request for anything else.
  function normalise(text) {
    text = text.trim().replace(/^feed:(\/\/)?/i, function (m, slashes) {
      return slashes ? "http://" : "";
    });
    if (!text || /\s/.test(text) || NOT_WEB.test(text)) return null;
    if (!/^https?:\/\//i.test(text)) {
      if (/^[a-z][a-z0-9+.-]*:(?!\d)/i.test(text)) return null; // another scheme
      text = "http://" + text.replace(/^\/\//, "");
    }
    var url;
    try {
      url = new URL(text);
    } catch (e) {
      return null;
    }
    var host = url.hostname;
    if (url.username || url.password || !/[.:]/.test(host) || /\.$/.test(host)) return null;
    url.hash = "";
    return url.href;
  }

  function attach(urlField) {
    var form = formOf(urlField);
    if (!form) return;
    var posted = form.tagName === "FORM"; // else the choice is registered with the service
    var nameField = fields(data.nameField || "author").filter(function (f) {
      return form.contains(f);
    })[0];
    function hidden(name) {
      var input = form.elements[name] || make("input");
      input.type = "hidden";
      input.name = name;
      input.value = "";
      form.appendChild(input);
      return input;
    }
    var linkInput = posted ? hidden(data.linkField || "commentluv_link") : {};
    var tokenInput = posted ? hidden(data.tokenField || "commentluv_token") : {};
    var box = make("div", "commentluv");
    var line = make("p", "commentluv-line");
    line.setAttribute("role", "status");
    line.setAttribute("aria-live", "polite");
    var chooser = make("label", "commentluv-choose");
    var select = make("select");
    chooser.appendChild(document.createTextNode(TEXT.choose + " "));
    chooser.appendChild(select);
    chooser.hidden = true;
    box.appendChild(line);
    box.appendChild(chooser);
    var target = document.getElementById(data.target);
    if (target) {
      target.appendChild(box);
    } else {
      // Right after the block that holds the field (its label's paragraph), so the line
      // sits where the commenter looks and comes next in the keyboard order.
      var block = urlField;
      while (block.parentElement !== form && !block.parentElement.querySelector(SUBMIT)) {
        block = block.parentElement;
      }
      block.parentElement.insertBefore(box, block.nextSibling);
    }

    var posts = [];
    var site = "";
    var template = TEXT.line;
    var asked = null; // the normalised URL last asked about
    var pending = null;
    var timer = 0;

    function clear() {
      posts = [];
      linkInput.value = tokenInput.value = "";
      line.textContent = "";
      line.classList.remove("commentluv-error");
      chooser.hidden = true;
    }

    function say(kind) {
      var key = String(kind).replace(/_(\w)/g, function (m, c) {
        return c.toUpperCase();
      });
      line.textContent = Object.prototype.hasOwnProperty.call(TEXT, key) ? TEXT[key] : TEXT.other;
      line.classList.add("commentluv-error");
    }

    function who() {
      var name = nameField ? nameField.value.trim() : "";
      return name || site.replace(/^https?:\/\/(www\.)?/i, "").replace(/[/:].*$/, "");
    }

    // Titles and names are untrusted: text nodes, never HTML, each isolated from the
    // line's direction (an English title in a right-to-left line keeps its order).
    function render() {
      var post = posts[select.selectedIndex] || posts[0];
      if (!post) return;
      line.textContent = "";
      template.split(/(\{\w+\})/).forEach(function (part) {
        var value = { "{name}": who(), "{link}": post.link, "{site}": site }[part];
        var node = make(part === "{title}" ? "a" : "bdi");
        if (part === "{title}") {
          if (/^https?:\/\//i.test(post.link)) node.href = post.link;
          node.rel = "nofollow ugc";
          node.dir = "auto";
          value = post.title;
        }
        if (value === undefined) node = document.createTextNode(part);
        else node.textContent = value;
        if (part) line.appendChild(node);
      });
      linkInput.value = post.link;
    }

    // Register what the line shows (a stranger's earlier pick for this site is replaced).
    function choose() {
      render();
      if (posted) return;
      var body = new URLSearchParams({ url: site, link: linkInput.value, token: tokenInput.value });
      fetch(endpoint + "/choose", { method: "POST", body: body, credentials: "omit" }).catch(
        function () {} // unregistered, the comment gets the latest post: nothing to say
      );
    }

    function show(answer) {
      var kind = answer && answer.error ? answer.error.kind : "other";
      if (!answer || !answer.ok) {
        // The service was busy, not the site: the next change may ask again.
        if (/^(busy|rate_limited|internal_error)$/.test(kind)) asked = null;
        say(kind);
        return;
      }
      posts = answer.posts || [];
      site = answer.site || "";
      if (!ownLine && typeof answer.line === "string") template = answer.line;
      tokenInput.value = answer.choice_token || "";
      select.textContent = "";
      posts.forEach(function (post, index) {
        var option = make("option");
        option.value = String(index);
        option.textContent = post.title;
        select.appendChild(option);
      });
      select.selectedIndex = 0;
      chooser.hidden = posts.length < 2;
      choose();
    }

    function stop() {
      clearTimeout(timer);
      if (pending) pending.abort();
      pending = null;
    }

    function update() {
      clearTimeout(timer);
      var url = normalise(urlField.value);
      if (url === asked) return;
      asked = url;
      stop();
      clear();
      if (!url) return;
      var mine = (pending = new AbortController());
      var late = setTimeout(function () {
        mine.abort();
      }, wait);
      var query = "?limit=" + limit + "&url=" + encodeURIComponent(url);
      fetch(endpoint + "/recent" + query, { credentials: "omit", signal: mine.signal })
        .then(function (response) {
          return response.json();
        })
        .then(function (answer) {
          if (pending === mine) show(answer);
        })
        .catch(function () {
          // Slow or unreachable service: say nothing, and ask again on the next change.
          if (pending === mine) asked = null;
        })
        .then(function () {
          clearTimeout(late);
          if (pending === mine) pending = null;
        });
    }

    function typed() {
      clearTimeout(timer);
      timer = setTimeout(update, delay);
    }
    urlField.addEventListener("input", typed);
    urlField.addEventListener("change", update);
    urlField.addEventListener("blur", update);
    if (nameField) nameField.addEventListener("input", render);
    select.addEventListener("change", choose);
    // Submitting never waits for the service: an answer still on its way is dropped.
    form.addEventListener("submit", stop);
    live.push({
      field: urlField,
      detach: function () {
        stop();
        box.remove();
        if (posted) linkInput.remove(), tokenInput.remove();
        if (nameField) nameField.removeEventListener("input", render);
        form.removeEventListener("submit", stop);
      }
    });
    if (urlField.value) update();
  }

  // Forms drawn later (and drawn again) by the comment system's own script.
  function scan() {
    live = live.filter(function (widget) {
      if (!widget.field.isConnected) widget.detach();
      return widget.field.isConnected;
    });
    fields(data.urlField || "url").forEach(function (field) {
      var known = live.some(function (widget) {
        return widget.field === field;
      });
      if (!known && field.type !== "hidden") attach(field);
    });
  }
  new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
  scan();
})();
