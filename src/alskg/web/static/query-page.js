/* The query page (templates/query.html): the vendored YASGUI set up for this server only.
 *
 * - The editor opens on one short starting query; the server pre-declares its prefixes, and the
 *   editor's parser is told them too (the sparql11 mode starts with them known), so a query
 *   without PREFIX lines shows no error marks and nothing is written into the text.
 * - The named queries are examples in a searchable picker grouped by topic; choosing one opens
 *   it in its own tab (or returns to that tab).
 * - Completion of this graph's classes, properties and resources comes from the server's own
 *   JSON (cfg.completions_url), fetched once on first use; YASGUI's remote completers (Linked
 *   Open Vocabularies, prefix.cc) are removed, so the page talks to its own origin only.
 *
 * Everything the server says arrives in the JSON block #alskg-query-config.
 */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("alskg-query-config").textContent);
  var host = document.getElementById("yasgui");
  if (!window.Yasgui || !window.Yasgui.Yasqe) {
    host.textContent = "The SPARQL editor could not be loaded.";
    return;
  }
  var Yasqe = window.Yasgui.Yasqe;
  var endpoint = cfg.endpoint_url;
  var prefixes = cfg.prefixes || {};
  var prefixNames = Object.keys(prefixes).sort();
  var MAX_HINTS = 60;

  // --- Pre-declared prefixes: known to the parser before the first token --------------------
  // YASQE marks a prefixed name as an error unless its prefix is in the parser state, which
  // starts empty and fills from PREFIX lines; start it with the server's table instead.
  var sparqlMode = Yasqe.modes.sparql11;
  Yasqe.defineMode("sparql11", function (config, modeConfig) {
    var mode = sparqlMode(config, modeConfig);
    var startState = mode.startState;
    return Object.assign({}, mode, {
      startState: function () {
        var state = startState.apply(mode, arguments);
        state.prefixes = Object.assign({}, prefixes, state.prefixes);
        return state;
      }
    });
  });

  // --- This graph's terms, from our own server -----------------------------------------------
  var termsPromise = null;

  function expand(curie) {
    var colon = curie.indexOf(":");
    return (prefixes[curie.slice(0, colon)] || "") + curie.slice(colon + 1);
  }

  // Each kind in the order hints are offered: this graph's own vocabulary (als:) first, then by
  // prefixed name.
  function indexTerms(doc) {
    var own = prefixes.als || "";
    var index = {};
    ["classes", "properties", "resources"].forEach(function (kind) {
      index[kind] = (doc[kind] || []).map(function (t) {
        var text = t.curie || "<" + t.iri + ">";
        var local = t.curie ? t.curie.slice(t.curie.indexOf(":") + 1) : t.iri;
        return {
          text: text, label: t.label || "", iri: t.curie ? expand(t.curie) : t.iri,
          key: text.toLowerCase(), local: local.toLowerCase(),
          labelKey: (t.label || "").toLowerCase()
        };
      }).sort(function (a, b) {
        var ownA = own && a.iri.indexOf(own) === 0, ownB = own && b.iri.indexOf(own) === 0;
        if (ownA !== ownB) return ownA ? -1 : 1;
        return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
      });
    });
    return index;
  }

  function loadTerms() {
    if (!termsPromise) {
      termsPromise = fetch(cfg.completions_url, { headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("completions: HTTP " + response.status);
          return response.json();
        })
        .then(indexTerms)
        .catch(function (err) {
          termsPromise = null;  // try again on the next completion
          console.warn("Could not load this graph's terms for completion", err);
          return null;
        });
    }
    return termsPromise;
  }

  // Terms whose prefixed name (or IRI) starts with the token come first, then terms whose label
  // or local name holds it (case-insensitive); a bare word needs two letters.
  // A token that already is a whole term gets no hints (so the list does not reopen on the term
  // just chosen).
  function matchTerms(terms, token) {
    if (terms.some(function (t) { return t.text === token; })) return [];
    var word = token.replace(/^</, "").replace(/>$/, "").toLowerCase();
    var iriMode = token.charAt(0) === "<";
    var colon = word.indexOf(":");
    var prefix = !iriMode && colon >= 0 ? word.slice(0, colon + 1) : "";
    var local = !iriMode && colon >= 0 ? word.slice(colon + 1) : word;
    if (!iriMode && colon < 0 && word.length < 2 && word.length > 0) return [];
    var first = [], then = [];
    terms.forEach(function (t) {
      if (iriMode ? t.iri.toLowerCase().indexOf(word) === 0 : t.key.indexOf(word) === 0 ||
          (!prefix && t.local.indexOf(word) === 0)) {
        first.push(t);
      } else if (!iriMode && local.length >= 2 && (!prefix || t.key.indexOf(prefix) === 0) &&
                 (t.labelKey.indexOf(local) >= 0 || t.local.indexOf(local) >= 0)) {
        then.push(t);
      }
    });
    return first.concat(then).slice(0, MAX_HINTS);
  }

  function renderHint(element, self, hint) {
    element.appendChild(document.createTextNode(hint.text));
    if (hint.label) {
      var label = document.createElement("span");
      label.className = "alskg-hint-label";
      label.textContent = hint.label;
      element.appendChild(label);
    }
  }

  // An open hint list keeps asking the completer that opened it as the token grows; when the
  // cursor is no longer in that completer's place (typing "als:" where "a" first looked like
  // rdf:type, say), close the list and let the completer of the new place open its own.
  function handOver(yasqe) {
    window.setTimeout(function () {
      if (yasqe.state.completionActive) yasqe.state.completionActive.close();
      yasqe.autocomplete(true);
    }, 0);
  }

  function termCompleter(name, from, kinds, place) {
    var labels = {};
    Yasqe.forkAutocompleter(from, {
      name: name,
      bulk: false,
      autoShow: true,
      persistenceId: null,
      isValidCompletionPosition: place,
      get: function (yasqe, token) {
        if (!place(yasqe)) {
          handOver(yasqe);
          return Promise.resolve([]);
        }
        return loadTerms().then(function (index) {
          if (!index || !token) return [];
          var terms = [].concat.apply([], kinds.map(function (k) { return index[k]; }));
          return matchTerms(terms, token.string || "").map(function (t) {
            labels[t.text] = t.label;
            return t.text;
          });
        });
      },
      preProcessToken: function (yasqe, token) { return token; },
      postProcessSuggestion: function (yasqe, token, suggestion) { return suggestion; },
      postprocessHints: function (yasqe, hints) {
        return hints.map(function (hint) {
          return Object.assign({}, hint, { label: labels[hint.text] || "", render: renderHint });
        });
      }
    }, false);
  }

  function inPrefixDeclaration(yasqe) {
    return !!yasqe.getCompleteToken().state.inPrefixDecl;
  }

  // The stock completers' tests of the cursor's place (kept: the stock entries go below).
  var classPlace = Yasqe.Autocompleters["class"].isValidCompletionPosition;
  var propertyPlace = Yasqe.Autocompleters.property.isValidCompletionPosition;
  function atClass(yasqe) { return !inPrefixDeclaration(yasqe) && classPlace(yasqe); }
  function atProperty(yasqe) { return !inPrefixDeclaration(yasqe) && propertyPlace(yasqe); }

  // A prefixed name or an IRI in any other place (subject, object, VALUES, FILTER ...).
  function atResource(yasqe) {
    var text = yasqe.getCompleteToken().string || "";
    if (!text || /^[?$"'0-9]/.test(text)) return false;
    if (text.indexOf(":") < 0 && text.charAt(0) !== "<") return false;
    return !inPrefixDeclaration(yasqe) && !atClass(yasqe) && !atProperty(yasqe);
  }

  termCompleter("alskgClasses", "class", ["classes"], atClass);
  termCompleter("alskgProperties", "property", ["properties"], atProperty);
  // A resource, or a class (the object of rdfs:subClassOf or skos:exactMatch, say).
  termCompleter("alskgResources", "class", ["resources", "classes"], atResource);

  // --- No network beyond our own origin --------------------------------------------------------
  // The stock "property" and "class" completers query a remote vocabulary service as you type,
  // and "prefixes" may fetch a remote list (prefixCcApi): keep only the forks above, and a
  // prefix completer that knows this server's prefixes.
  Yasqe.forkAutocompleter("prefixes", {
    name: "alskgPrefixes",
    persistenceId: null,
    get: prefixNames.map(function (p) { return p + ": <" + prefixes[p] + ">"; })
  }, false);
  delete Yasqe.Autocompleters.property;
  delete Yasqe.Autocompleters["class"];
  delete Yasqe.Autocompleters.prefixes;
  var completers = ["variables", "alskgPrefixes", "alskgClasses", "alskgProperties",
                    "alskgResources"];
  // Set on the shared defaults: YASGUI deep-merges configs, and lodash's merge combines arrays
  // index by index, so a shorter list in the config would not remove the default entries.
  Yasqe.defaults.autocompleters = completers.slice();
  Yasqe.defaults.prefixCcApi = null;

  var yasgui = new window.Yasgui(host, {
    persistenceId: cfg.persistence_id,   // tabs and edits kept in localStorage per build
    persistencyExpire: 7 * 24 * 60 * 60, // seconds
    autoAddOnInit: false,                // the starting tab is added below
    autofocus: false,
    copyEndpointOnNewTab: true,
    populateFromUrl: true,               // shared links (#query=...) open as a tab
    corsProxy: undefined,
    tabName: "Query",
    requestConfig: {
      endpoint: endpoint,
      method: "POST",  // application/x-www-form-urlencoded, as the SPARQL protocol allows
      acceptHeaderSelect: "application/sparql-results+json",
      acceptHeaderGraph: "text/turtle",
      acceptHeaderUpdate: "text/plain"
    },
    endpointCatalogueOptions: {
      getData: function () { return [{ endpoint: endpoint }]; }
    },
    yasqe: { value: cfg.starting_query, prefixCcApi: null, autocompleters: completers.slice() },
    yasr: { prefixes: prefixes, defaultPlugin: "table", pluginOrder: ["table", "response"] }
  });

  if (!yasgui.persistentConfig.getTabs().length) {  // a first visit (or every tab closed)
    yasgui.addTab(true, {
      id: "alskg-default", name: "Query", yasqe: { value: cfg.starting_query },
      requestConfig: { endpoint: endpoint }
    });
  }
  // This page queries its own endpoint only, whatever a stored tab says.
  yasgui.persistentConfig.getTabs().forEach(function (id) {
    var tab = yasgui.getTab(id);
    if (tab && tab.getEndpoint() !== endpoint) tab.setEndpoint(endpoint);
  });
  if (!yasgui.getTab()) {
    yasgui.persistentConfig.setActive("alskg-default");
    yasgui.markTabSelected("alskg-default");
  }

  // --- The example picker ------------------------------------------------------------------------
  var examples = {};
  (cfg.examples || []).forEach(function (ex) { examples[ex.name] = ex; });

  function exampleTabId(name) {
    return "alskg-ex-" + String(name).replace(/[^A-Za-z0-9_-]+/g, "-");
  }

  function openExample(name) {
    var ex = examples[name];
    if (!ex) return;
    var id = exampleTabId(name);
    if (yasgui.getTab(id)) {
      yasgui.selectTabId(id);
    } else {
      yasgui.addTab(true, {
        id: id, name: ex.name, yasqe: { value: ex.query }, requestConfig: { endpoint: endpoint }
      });
    }
    host.scrollIntoView({ block: "start" });
  }

  var filter = document.getElementById("example-filter");
  var picker = document.getElementById("example-groups");
  if (filter && picker) {
    var count = document.getElementById("example-count");
    var none = document.querySelector(".example-none");
    var total = picker.querySelectorAll("li[data-example]").length;
    var shownButtons = function () {
      return Array.prototype.filter.call(picker.querySelectorAll("button[data-example]"),
        function (b) { return !b.closest("[hidden]"); });
    };
    var applyFilter = function () {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      Array.prototype.forEach.call(picker.querySelectorAll(".example-group"), function (group) {
        var any = false;
        Array.prototype.forEach.call(group.querySelectorAll("li[data-example]"), function (li) {
          var text = li.getAttribute("data-search") || "";
          var hit = words.every(function (w) { return text.indexOf(w) >= 0; });
          li.hidden = !hit;
          if (hit) { any = true; shown += 1; }
        });
        group.hidden = !any;
      });
      count.textContent = words.length ? shown + " of " + total + " match"
        : total + " named queries by topic";
      if (none) none.hidden = shown > 0;
    };
    filter.addEventListener("input", applyFilter);
    filter.addEventListener("keydown", function (event) {
      var buttons = shownButtons();
      if (event.key === "Enter" && buttons.length) {
        event.preventDefault();
        openExample(buttons[0].getAttribute("data-example"));
      } else if (event.key === "ArrowDown" && buttons.length) {
        event.preventDefault();
        buttons[0].focus();
      }
    });
    picker.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-example]");
      if (button) openExample(button.getAttribute("data-example"));
    });
    picker.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      var buttons = shownButtons();
      var at = buttons.indexOf(document.activeElement);
      if (at < 0) return;
      event.preventDefault();
      if (event.key === "ArrowUp" && at === 0) filter.focus();
      else if (buttons[at + (event.key === "ArrowDown" ? 1 : -1)]) {
        buttons[at + (event.key === "ArrowDown" ? 1 : -1)].focus();
      }
    });
    applyFilter();
  }

  window.alskgYasgui = yasgui;
})();
