// The SPARQL editor: YASGUI over this server's endpoint, completing from this server only.
(function () {
  "use strict";
  var holder = document.getElementById("yasgui");
  var form = document.getElementById("sparql-form");
  if (!holder || !window.Yasgui) return;
  var Yasqe = window.Yasqe || window.Yasgui.Yasqe;

  // Classes and properties from our ontology (YASGUI would ask LOV); prefixes from us too.
  function ours(type) {
    return function (yasqe, token) {
      var text = (token && token.autocompletionString) || "";
      return fetch(holder.dataset.terms + "?type=" + type + "&q=" + encodeURIComponent(text))
        .then(function (r) { return r.ok ? r.json() : []; });
    };
  }
  Yasqe.forkAutocompleter("class", { name: "tc-class", get: ours("class") }, false);
  Yasqe.forkAutocompleter("property", { name: "tc-property", get: ours("property") }, false);
  Yasqe.defaults.autocompleters = ["prefixes", "variables", "tc-class", "tc-property"].filter(
    function (name) { return name in Yasqe.Autocompleters; });

  var query = document.getElementById("sparql-query").value;
  var yasgui = new window.Yasgui(holder, {
    requestConfig: { endpoint: holder.dataset.endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: holder.dataset.endpoint }]; } },
    persistenceId: null,
    populateFromUrl: false,
    yasqe: { value: query, prefixCcApi: holder.dataset.prefixes, persistenceId: null },
    yasr: { persistenceId: null },
  });
  var tab = yasgui.getTab();
  tab.setQuery(query);
  form.hidden = true;
  labelControls();
  yasgui.on("tabChange", labelControls);
  // The page's address follows the query run, so it can be shared.
  yasgui.on("query", function (instance, running) {
    var text = running.getQuery();
    history.replaceState(null, "", "/sparql?query=" + encodeURIComponent(text));
    var server = document.getElementById("server-answer");
    if (server) server.hidden = true;
  });

  // YASGUI leaves its editor and endpoint fields unnamed, and a tab list with no tabs in it:
  // name them for screen readers, and drop the empty list (one editor, no tabs).
  function labelControls() {
    holder.querySelectorAll(".CodeMirror textarea").forEach(function (t) {
      t.setAttribute("aria-label", "SPARQL query");
    });
    holder.querySelectorAll("input.autocomplete").forEach(function (i) {
      i.setAttribute("aria-label", "SPARQL endpoint");
    });
    holder.querySelectorAll(".tabsList").forEach(function (list) {
      if (!list.querySelector("[role=tab]")) list.removeAttribute("role");
    });
  }
})();
