"""The community registry: cases, consent, residence-certificate requests run in the background, audit.

Public surface: `runtime.start` (the client and worker the app's lifespan makes once), `api.router`
(`/api/registry`), `pages.router` (`/operator/cases`), `sandbox.create_sandbox_app` (the sandbox
registry, `hotline registry-sandbox`). See docs/REGISTRY.md.
"""
