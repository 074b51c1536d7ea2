// The API reference: Swagger UI from the package, over this server's OpenAPI document.
(function () {
  "use strict";
  var holder = document.getElementById("swagger");
  if (!holder || !window.SwaggerUIBundle) return;
  holder.textContent = "";
  window.SwaggerUIBundle({
    url: holder.dataset.openapi,
    domNode: holder,
    deepLinking: false,  // a link inside each operation's button is a control nested in a control
    validatorUrl: null,  // the default asks validator.swagger.io
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
