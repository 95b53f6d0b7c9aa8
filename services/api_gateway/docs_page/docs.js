// Starts Swagger UI on the served document. A file of its own, not an inline script:
// the page's Content-Security-Policy allows scripts from this origin only.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/v1/openapi.json",
    dom_id: "#swagger-ui",
    // No badge from the public validator: the page fetches nothing from elsewhere.
    validatorUrl: null,
    deepLinking: true,
    // Every operation listed expanded by tag, so that each one is in the page as rendered.
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    // The x-extension marks (what goes beyond the original API) shown, not hidden.
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
