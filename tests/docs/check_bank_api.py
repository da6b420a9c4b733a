#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks docs/bank-api.yaml against the project's API rules (docs/bank.md "API rules").

Usage: check_bank_api.py <path/to/bank-api.yaml>
Exit 0 when every rule holds, 1 with one line per violation otherwise, 2 when the file cannot be read.

The rules, each checked mechanically:
  1. openapi is 3.0.x or 3.1.x; every $ref inside the document resolves.
  2. every path starts with /v1/.
  3. every operation has a unique operationId and its own `security` entry; an empty one (public) is allowed only
     for the operations in PUBLIC; every scheme named exists in components.securitySchemes.
  4. every mutating operation (POST, PUT, PATCH, DELETE) takes the header Idempotency-Key, required, and documents
     the answers that header can cause: 400 (missing), 409 (in flight), 422 (reused with another body).
  5. every operation documents a 2xx answer, 500 and 503; every secured operation documents 401.
  6. every 4xx/5xx answer (and default/4XX/5XX) has content, all of it application/problem+json with the Problem
     schema.
  7. no `type: number` anywhere (money and counters are integers); every property whose name says money
     (amount, balance, limit) is an integer with x-unit: fen.
  8. every string schema described as hex digits has an uppercase-only hex pattern, minLength and maxLength.
  9. every example (of a schema or of a request/response body) matches its schema: type, pattern, length, range,
     enum, required and unknown fields.
 10. every integer has a format (int32 or int64); every scalar field has an example value; every string without
     an enum has a maxLength.
"""
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover - environment problem, not a rule violation
    print("check_bank_api: the Python module 'yaml' is missing: install python3-yaml (scripts/setup-deps.sh)")
    sys.exit(2)

PUBLIC = {("get", "/v1/health")}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
MUTATING = ("post", "put", "patch", "delete")
PROBLEM_MEDIA = "application/problem+json"
MONEY_NAME = re.compile(r"(amount|balance|limit)(before|after)?$", re.IGNORECASE)


class Checker:
    def __init__(self, doc):
        self.doc = doc
        self.errors = []

    def fail(self, where, what):
        self.errors.append(f"{where}: {what}")

    # -- references --------------------------------------------------------------------------------------------------
    def lookup(self, ref, where):
        if not isinstance(ref, str) or not ref.startswith("#/"):
            self.fail(where, f"$ref {ref!r} is not a local reference")
            return None
        node = self.doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                self.fail(where, f"$ref {ref} does not resolve")
                return None
            node = node[part]
        return node

    def resolve(self, node, where, depth=0):
        while isinstance(node, dict) and "$ref" in node and depth < 20:
            node = self.lookup(node["$ref"], where)
            depth += 1
        return node

    def all_refs(self, node, where="#"):
        if isinstance(node, dict):
            if "$ref" in node:
                self.lookup(node["$ref"], where)
            for key, value in node.items():
                self.all_refs(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                self.all_refs(value, f"{where}/{i}")

    # -- rules -------------------------------------------------------------------------------------------------------
    def run(self):
        version = str(self.doc.get("openapi", ""))
        if not re.fullmatch(r"3\.[01]\.\d+", version):
            self.fail("openapi", f"version {version!r} is not 3.0.x or 3.1.x")
        self.all_refs(self.doc)
        schemes = (self.doc.get("components") or {}).get("securitySchemes") or {}
        paths = self.doc.get("paths") or {}
        if not paths:
            self.fail("paths", "no paths")
        operation_ids = {}
        for path, item in paths.items():
            if not path.startswith("/v1/"):
                self.fail(path, "path is not under /v1/")
            if not isinstance(item, dict):
                self.fail(path, "path item is not a mapping")
                continue
            shared_params = item.get("parameters") or []
            for method in METHODS:
                if method in item:
                    self.operation(path, method, item[method], shared_params, schemes, operation_ids)
        self.walk_schemas(self.doc, "#")

    def operation(self, path, method, op, shared_params, schemes, operation_ids):
        where = f"{method.upper()} {path}"
        op_id = op.get("operationId")
        if not op_id:
            self.fail(where, "no operationId")
        elif op_id in operation_ids:
            self.fail(where, f"operationId {op_id} also used by {operation_ids[op_id]}")
        else:
            operation_ids[op_id] = where

        # 3. security
        if "security" not in op:
            self.fail(where, "no security entry of its own (write `security: []` only for a public operation)")
            secured = True
        else:
            security = op["security"]
            secured = bool(security)
            if not security and (method, path) not in PUBLIC:
                self.fail(where, "security is empty but the operation is not in the public list")
            for requirement in security or []:
                if not requirement:
                    self.fail(where, "an empty security requirement makes the operation public")
                for name in requirement or {}:
                    if name not in schemes:
                        self.fail(where, f"security scheme {name} is not defined")

        # 4. request id on mutating calls
        params = [self.resolve(p, where) for p in list(shared_params) + list(op.get("parameters") or [])]
        responses = op.get("responses") or {}
        codes = {str(code) for code in responses}
        if method in MUTATING:
            key = [p for p in params if isinstance(p, dict) and p.get("in") == "header"
                   and str(p.get("name", "")).lower() == "idempotency-key"]
            if not key:
                self.fail(where, "mutating operation without the Idempotency-Key header")
            elif not key[0].get("required"):
                self.fail(where, "Idempotency-Key is not required")
            for code in ("400", "409", "422"):
                if code not in codes:
                    self.fail(where, f"mutating operation does not document {code} (Idempotency-Key answers)")

        # 5. answers every operation documents
        if not any(re.fullmatch(r"2\d\d", c) for c in codes):
            self.fail(where, "no 2xx answer")
        for code in ("500", "503"):
            if code not in codes:
                self.fail(where, f"does not document {code}")
        if secured and "401" not in codes:
            self.fail(where, "secured operation does not document 401")

        # 6. problem+json for every error
        for code, response in responses.items():
            code = str(code)
            if not (code[0] in "45" or code == "default"):
                continue
            resolved = self.resolve(response, where)
            content = (resolved or {}).get("content") if isinstance(resolved, dict) else None
            if not content:
                self.fail(f"{where} {code}", "error answer without a body (must be application/problem+json)")
                continue
            for media, body in content.items():
                if media != PROBLEM_MEDIA:
                    self.fail(f"{where} {code}", f"error answer as {media}, not {PROBLEM_MEDIA}")
                    continue
                schema = (body or {}).get("schema") or {}
                target = schema.get("$ref", "")
                problem = self.resolve(schema, where) or {}
                props = problem.get("properties") or {}
                if not target.endswith("/Problem") and not {"type", "title", "status"} <= set(props):
                    self.fail(f"{where} {code}", "problem+json body is not the Problem schema")

    # 7-9. schemas anywhere in the document
    def walk_schemas(self, node, where):
        if isinstance(node, dict):
            self.schema_rules(node, where)
            for key, value in node.items():
                self.walk_schemas(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                self.walk_schemas(value, f"{where}/{i}")

    def schema_rules(self, node, where):
        types = node.get("type")
        types = types if isinstance(types, list) else [types]
        if "number" in types:
            self.fail(where, "type number: amounts and counters are integers (fen), never floating point")
        props = node.get("properties")
        if isinstance(props, dict) and (node.get("type") == "object" or "required" in node):
            for name, prop in props.items():
                if MONEY_NAME.search(name):
                    target = self.resolve(prop, f"{where}/properties/{name}") or {}
                    if target.get("type") != "integer":
                        self.fail(f"{where}/properties/{name}", "money field is not type integer")
                    if target.get("x-unit") != "fen":
                        self.fail(f"{where}/properties/{name}", "money field has no x-unit: fen")
        if "integer" in types and node.get("format") not in ("int32", "int64"):
            self.fail(where, "integer without format int32 or int64")
        if isinstance(props, dict):
            for name, prop in props.items():
                target = self.resolve(prop, f"{where}/properties/{name}") or {}
                scalar = target.get("type") in ("string", "integer", "boolean")
                if scalar and not (target.get("examples") or "example" in target):
                    self.fail(f"{where}/properties/{name}", "field without an example value")
        if "string" in types and "maxLength" not in node and "enum" not in node:
            self.fail(where, "string without maxLength (every string is bounded before parsing)")
        if "string" in types and "hex digits" in str(node.get("description", "")):
            pattern = node.get("pattern", "")
            if "0-9A-F" not in pattern or "a-f" in pattern:
                self.fail(where, f"hex field pattern {pattern!r} is not uppercase hex")
            if "minLength" not in node or "maxLength" not in node:
                self.fail(where, "hex field without minLength and maxLength")
        if "type" in node or "properties" in node:
            examples = node.get("examples")
            for example in examples if isinstance(examples, list) else []:
                self.example(node, example, where)
            if "example" in node:
                self.example(node, node["example"], where)
        elif "schema" in node and ("example" in node or "examples" in node):
            self.media_examples(node, where)

    def example(self, schema, value, where, depth=0):
        schema = self.resolve(schema, where) or {}
        if depth > 20:
            return
        types = schema.get("type")
        types = types if isinstance(types, list) else [types]
        if "object" in types or "properties" in schema:
            if not isinstance(value, dict):
                self.fail(where, f"example {value!r} is not an object")
                return
            props = schema.get("properties") or {}
            for name in schema.get("required") or []:
                if name not in value:
                    self.fail(where, f"example lacks the required field {name}")
            for name, item in value.items():
                if name in props:
                    self.example(props[name], item, f"{where}.{name}", depth + 1)
                elif schema.get("additionalProperties") is False:
                    self.fail(where, f"example has the unknown field {name}")
        elif "array" in types:
            if not isinstance(value, list):
                self.fail(where, f"example {value!r} is not an array")
                return
            for i, item in enumerate(value):
                self.example(schema.get("items") or {}, item, f"{where}[{i}]", depth + 1)
        elif "string" in types and isinstance(value, str):
            pattern = schema.get("pattern")
            if pattern and not re.search(pattern, value):
                self.fail(where, f"example {value!r} does not match {pattern}")
            if "minLength" in schema and len(value) < schema["minLength"]:
                self.fail(where, f"example {value!r} is shorter than {schema['minLength']}")
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                self.fail(where, f"example {value!r} is longer than {schema['maxLength']}")
            if "enum" in schema and value not in schema["enum"]:
                self.fail(where, f"example {value!r} is not in the enum")
        elif "integer" in types:
            if not isinstance(value, int) or isinstance(value, bool):
                self.fail(where, f"example {value!r} is not an integer")
            else:
                if "minimum" in schema and value < schema["minimum"]:
                    self.fail(where, f"example {value} is below {schema['minimum']}")
                if "maximum" in schema and value > schema["maximum"]:
                    self.fail(where, f"example {value} is above {schema['maximum']}")
        elif "boolean" in types and not isinstance(value, bool):
            self.fail(where, f"example {value!r} is not a boolean")
        elif "string" in types and not isinstance(value, str):
            self.fail(where, f"example {value!r} is not a string")
        elif "enum" in schema and value not in schema["enum"]:
            self.fail(where, f"example {value!r} is not in the enum")

    def media_examples(self, node, where):
        """Examples of a media type object (a response or request body) against its schema."""
        schema = node.get("schema")
        if schema is None:
            return
        if "example" in node:
            self.example(schema, node["example"], f"{where}/example")
        for name, entry in (node.get("examples") or {}).items():
            entry = self.resolve(entry, where) or {}
            if "value" in entry:
                self.example(schema, entry["value"], f"{where}/examples/{name}")


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        print(f"check_bank_api: cannot read {argv[1]}: {e}")
        return 2 if isinstance(e, OSError) else 1
    if not isinstance(doc, dict):
        print(f"check_bank_api: {argv[1]} is not an OpenAPI document")
        return 1
    checker = Checker(doc)
    checker.run()
    for error in checker.errors:
        print(error)
    operations = sum(1 for item in (doc.get("paths") or {}).values() for m in METHODS if m in item)
    if checker.errors:
        print(f"check_bank_api: {len(checker.errors)} violation(s) in {argv[1]}")
        return 1
    print(f"check_bank_api: {argv[1]}: {len(doc['paths'])} paths, {operations} operations, every rule holds")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
