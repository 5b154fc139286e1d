"""The capabilities, each in one package that owns its chat handlers, web routes, use cases,
models, templates and message catalogue, and registers itself once (see app.features)."""
