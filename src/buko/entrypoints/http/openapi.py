"""The OpenAPI document: the API only (pages and sockets are not operations), paths named right."""
from __future__ import annotations

import re

from quart_schema import OpenAPIProvider

# quart-schema's own pattern lets `<book_id>/chunks/<int:index>` run into one parameter.
PARAMETER = re.compile(r"<(?:[^:<>]*:)?([^<>]+)>")
DOCUMENTED = ("/api/", "/healthz", "/readyz")


class BukoOpenAPIProvider(OpenAPIProvider):
    def generate_rules(self):
        for rule in super().generate_rules():
            if rule.rule.startswith(DOCUMENTED):
                yield rule

    def build_paths(self, rule):
        paths, components = super().build_paths(rule)
        right = PARAMETER.sub(r"{\1}", rule.rule)
        return {right: operations for operations in paths.values()}, components
