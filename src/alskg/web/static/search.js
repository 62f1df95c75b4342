/*
 * Typeahead for alskg: every <input data-suggest="…/search/suggest"> gets a list of suggestions
 * under it (the WAI-ARIA combobox pattern: role=combobox, a role=listbox of role=option items,
 * aria-activedescendant), filled from the JSON of /search/suggest as the user types.
 *
 * Keys: ArrowDown / ArrowUp move through the suggestions, Enter opens the one chosen (or, with
 * no choice, submits the form as usual), Escape closes the list, Tab leaves it. A click chooses.
 *
 * Attributes an input may carry (see docs/search.md):
 *   data-suggest       the URL of /search/suggest (required)
 *   data-suggest-kind  a kind (or several, comma-separated) to keep to, e.g. "intervention"
 *   data-suggest-fill  "curie", "iri" or "label": put that field of the chosen suggestion into
 *                      the input (for forms) instead of opening the resource's page
 *   data-suggest-limit how many suggestions (1–20, default 8)
 *
 * No library, no network beyond this server: it works offline. window.alskgSuggest(input) sets
 * up an input added later.
 */
(function () {
  "use strict";
  const DELAY_MS = 120;
  const MIN_CHARS = 2;
  let count = 0;

  function setup(input) {
    if (input.dataset.suggestReady) return;
    input.dataset.suggestReady = "1";
    count += 1;
    const listId = (input.id || "suggest-" + count) + "-suggestions";
    let holder = input.parentNode;
    if (getComputedStyle(holder).position === "static") {
      const wrap = document.createElement("span");
      wrap.className = "suggest-wrap";
      holder.insertBefore(wrap, input);
      wrap.appendChild(input);
      holder = wrap;
    }
    const list = document.createElement("ul");
    list.id = listId;
    list.className = "suggest-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    const status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    holder.appendChild(list);
    holder.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    let items = [];
    let active = -1;
    let timer = null;
    let controller = null;

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", listId + "-" + index);
        list.children[index].scrollIntoView({block: "nearest"});
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function render(document_) {
      items = (document_ && document_.suggestions) || [];
      list.textContent = "";
      items.forEach(function (item, i) {
        const li = document.createElement("li");
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.index = String(i);
        li.appendChild(document.createTextNode(item.label));
        const kind = document.createElement("span");
        kind.className = "suggest-kind";
        kind.textContent = item.kind;
        li.appendChild(kind);
        if (item.matched) {
          const matched = document.createElement("span");
          matched.className = "suggest-matched";
          matched.textContent = item.matched;
          li.appendChild(matched);
        }
        list.appendChild(li);
      });
      status.textContent = items.length ? items.length + " suggestions; arrow keys to choose"
                                        : "";
      if (items.length && document.activeElement === input) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        highlight(-1);
      } else {
        close();
      }
    }

    function choose(index) {
      const item = items[index];
      if (!item) return;
      const fill = input.dataset.suggestFill;
      if (fill) {
        input.value = item[fill] || item.curie;
        close();
        input.dispatchEvent(new Event("change", {bubbles: true}));
      } else {
        window.location.assign(item.href);
      }
    }

    function ask() {
      const text = input.value.trim();
      if (controller) controller.abort();
      if (text.length < MIN_CHARS) {
        render(null);
        return;
      }
      controller = new AbortController();
      const params = new URLSearchParams({q: text});
      if (input.dataset.suggestKind) params.set("kind", input.dataset.suggestKind);
      if (input.dataset.suggestLimit) params.set("limit", input.dataset.suggestLimit);
      fetch(input.dataset.suggest + "?" + params.toString(),
            {headers: {Accept: "application/json"}, signal: controller.signal})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(render)
        .catch(function () { /* aborted or offline: keep what is shown */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      const open = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!items.length) return;
        event.preventDefault();
        if (!open) {
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        const step = event.key === "ArrowDown" ? 1 : -1;
        const span = items.length + 1;  // the input itself, then each suggestion
        highlight((((active + 1 + step) % span) + span) % span - 1);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    list.addEventListener("click", function (event) {
      const li = event.target.closest("li[data-index]");
      if (li) choose(Number(li.dataset.index));
    });
  }

  window.alskgSuggest = setup;
  document.querySelectorAll("input[data-suggest]").forEach(setup);
}());
