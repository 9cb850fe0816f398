# vcs_openapi.py - GitHub's published REST description as the stand-in's
# judge (tests/vcs-standin, for the tests only).
#
# The description is api.github.com.json of the npm package
# @octokit/openapi (scripts/deps fetches it into build/tools/github-openapi).
# Every request to the stand-in GitHub must name an operation it describes;
# a request body is validated against that operation's JSON request schema,
# with OpenAPI 3.0's "nullable" read as a type list, and a violation is
# answered as api.github.com answers it: 422, "Invalid request." and the
# first problem, with the operation's documentation URL.
import json
import re

import jsonschema

METHODS = ("get", "put", "post", "patch", "delete")


def _nullable(node):
    """OpenAPI 3.0 "nullable: true" as JSON Schema's type list, in place."""
    if isinstance(node, dict):
        if node.get("nullable") is True and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        for v in node.values():
            _nullable(v)
    elif isinstance(node, list):
        for v in node:
            _nullable(v)


class GitHubOpenAPI:
    def __init__(self, path):
        with open(path) as f:
            self.doc = json.load(f)
        _nullable(self.doc)
        self.resolver = jsonschema.RefResolver.from_schema(self.doc)
        self.ops = []
        for tmpl, item in self.doc["paths"].items():
            rx = re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(tmpl)))
            for m in METHODS:
                if m in item:
                    self.ops.append((m.upper(), rx, tmpl, item[m]))
        # A literal path before a templated one: /repos/{o}/{r}/check-runs
        # is not /repos/{o}/{r}/check-runs/{check_run_id}.
        self.ops.sort(key=lambda o: o[2].count("{"))
        self.validators = {}

    def operation(self, method, path):
        for m, rx, _, op in self.ops:
            if m == method and rx.fullmatch(path):
                return op
        return None

    def check(self, method, path, body):
        """(operationId or None, None when valid or else the 422 answer)."""
        op = self.operation(method, path)
        if op is None:
            return None, None
        oid = op.get("operationId")
        schema = (op.get("requestBody") or {}).get("content", {}) \
            .get("application/json", {}).get("schema")
        if schema is None:
            return oid, None
        v = self.validators.get(oid)
        if v is None:
            v = self.validators[oid] = jsonschema.Draft4Validator(schema, resolver=self.resolver)
        err = jsonschema.exceptions.best_match(v.iter_errors(body))
        if err is None:
            return oid, None
        where = "/".join(str(p) for p in err.absolute_path) or "body"
        return oid, {"message": "Invalid request.\n\nFor '%s', %s" % (where, err.message[:500]),
                     "documentation_url": (op.get("externalDocs") or {}).get("url", ""),
                     "status": "422"}
