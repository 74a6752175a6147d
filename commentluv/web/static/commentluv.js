/* commentluv.js: the "choose your post" widget for a comment form. No dependencies.
 *
 *   <script src="/luv/commentluv.js" data-endpoint="/luv"
 *           data-url-field="url" data-name-field="author" defer></script>
 *
 * When the commenter's site URL changes, it asks the service for their recent posts, shows
 * "Name's last blog ..Title" and a <select> of the others, and fills two hidden fields
 * (the chosen link and the service's token) for the server to check with verify_choice().
 * Without JavaScript the form posts as it always did.
 *
 * Options (data attributes): data-endpoint (the service's base URL, required),
 * data-url-field / data-name-field (a field's id or name; default "url" / "author"),
 * data-link-field / data-token-field (hidden field names; default "commentluv_link" /
 * "commentluv_token"), data-target (the id of an element to show the line in; default: the
 * end of the form), data-limit (1-10), data-delay (ms of typing pause), data-timeout (ms).
 * Text: data-text-KEY attributes or window.CommentLuvStrings = {KEY: "..."}, KEY one of
 * the keys of TEXT below (error keys are the service's error kinds, in camelCase).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !window.AbortController || !window.URL) return;
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
  Object.keys(TEXT).forEach(function (key) {
    var attribute = data["text" + key.charAt(0).toUpperCase() + key.slice(1)];
    if (typeof custom[key] === "string") TEXT[key] = custom[key];
    if (typeof attribute === "string") TEXT[key] = attribute;
  });

  function field(ref) {
    return ref ? document.getElementById(ref) || document.getElementsByName(ref)[0] : null;
  }
  var urlField = field(data.urlField || "url");
  var endpoint = (data.endpoint || "").replace(/\/+$/, "");
  if (!urlField || !urlField.form || !endpoint) return;
  var form = urlField.form;
  var nameField = field(data.nameField || "author");
  var limit = Math.min(Math.max(parseInt(data.limit, 10) || 10, 1), 10);
  var delay = parseInt(data.delay, 10) || 700;
  var wait = parseInt(data.timeout, 10) || 8000;

  function make(tag, className) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    return node;
  }
  function hidden(name) {
    var input = form.elements[name] || make("input");
    input.type = "hidden";
    input.name = name;
    input.value = "";
    form.appendChild(input);
    return input;
  }
  var linkInput = hidden(data.linkField || "commentluv_link");
  var tokenInput = hidden(data.tokenField || "commentluv_token");
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
  (field(data.target) || form).appendChild(box);

  var posts = [];
  var site = "";
  var asked = null; // the normalised URL last asked about
  var pending = null;
  var timer = 0;

  // What the service would look up, or null: no request for anything else.
  function normalise(text) {
    text = text.trim().replace(/^feed:(\/\/)?/i, function (m, slashes) {
      return slashes ? "http://" : "";
    });
    if (!text || /\s/.test(text)) return null;
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

  // Titles are untrusted: always text nodes, never HTML.
  function render() {
    var post = posts[select.selectedIndex] || posts[0];
    if (!post) return;
    line.textContent = "";
    TEXT.line.split(/(\{name\}|\{title\})/).forEach(function (part) {
      if (part === "{title}") {
        var link = make("a");
        if (/^https?:\/\//i.test(post.link)) link.href = post.link;
        link.rel = "nofollow ugc";
        link.textContent = post.title;
        line.appendChild(link);
      } else if (part) {
        line.appendChild(document.createTextNode(part === "{name}" ? who() : part));
      }
    });
    linkInput.value = post.link;
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
    render();
  }

  function update() {
    clearTimeout(timer);
    var url = normalise(urlField.value);
    if (url === asked) return;
    asked = url;
    if (pending) pending.abort();
    pending = null;
    clear();
    if (!url) return;
    var mine = (pending = new AbortController());
    var stop = setTimeout(function () {
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
        clearTimeout(stop);
        if (pending === mine) pending = null;
      });
  }

  urlField.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, delay);
  });
  urlField.addEventListener("change", update);
  urlField.addEventListener("blur", update);
  if (nameField) nameField.addEventListener("input", render);
  select.addEventListener("change", render);
  // Submitting never waits for the service: an answer still on its way is dropped.
  form.addEventListener("submit", function () {
    if (pending) pending.abort();
  });
  if (urlField.value) update();
})();
