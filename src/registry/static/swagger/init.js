// Swagger UI for the registry's OpenAPI document, from the registry's own files (no CDN).
// A file, not an inline script: the /schema page's CSP runs only scripts from 'self'.
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: document.body.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    // The public validator badge would send the document's address elsewhere: never.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    persistAuthorization: false,
  });
});
