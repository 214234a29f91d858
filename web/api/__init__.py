"""The JSON API under /api/v1 for systems that councils connect (web forms, police portal, Microsoft 365):
bearer-token authentication, resources over the workflow service, RFC 9457 problem responses and an
OpenAPI 3.1 description of it all."""

from web.api.routes import blueprint

__all__ = ["blueprint"]
