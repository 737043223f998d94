#!/usr/bin/env python3
"""Generates crates/carnet-fhir/src/r4.json, the compact R4 structure table that
carnet-fhir validates imported resources against, from HL7's official FHIR R4 JSON Schema
(fhir.schema.json, 4.0.1; the copy in ../shared/tools/fhir-validate/schema).

Kept: every resource type name; for the resource types Carnet maps and every type they
reach, each element's type, whether it repeats, the required elements, the codes of
required bindings, and the choice groups (value[x]). Descriptions are dropped.

Usage: scripts/gen-r4-schema.py SCHEMA.json > crates/carnet-fhir/src/r4.json
"""
import json
import sys

MAPPED = ["Bundle", "Patient", "AllergyIntolerance", "Condition", "Procedure",
          "MedicationStatement", "MedicationRequest", "Medication", "Immunization",
          "Observation", "DiagnosticReport", "DocumentReference"]

schema = json.load(open(sys.argv[1]))
defs = schema["definitions"]
resources = sorted(schema["discriminator"]["mapping"])
PRIMS = {k for k, v in defs.items() if "properties" not in v and k != "ResourceList"}


def ref_name(node):
    r = node.get("$ref")
    return r.rsplit("/", 1)[1] if r else None


def prop_info(node, prop):
    if "items" in node:
        t, _, enum = prop_info(node["items"], prop)
        return t, 1, enum
    if "const" in node:
        return "const", 0, [node["const"]]
    if "enum" in node:
        return "code", 0, node["enum"]
    t = ref_name(node)
    if t:
        return t, 0, None
    if "type" in node:  # an inline primitive: name it by the definition it copies
        for k in sorted(PRIMS):
            if prop.endswith(k[0].upper() + k[1:]) and defs[k].get("type") == node["type"]:
                return k, 0, None
        for k in sorted(PRIMS):
            if defs[k].get("pattern") == node.get("pattern") and defs[k].get("type") == node["type"]:
                return k, 0, None
        return "string", 0, None
    raise SystemExit("unknown property shape: %r" % node)


out_defs = {}
todo = list(MAPPED)
while todo:
    name = todo.pop()
    if name in out_defs or name in PRIMS or name == "ResourceList":
        continue
    d = defs[name]
    props, enums = {}, {}
    for p, node in d["properties"].items():
        t, arr, enum = prop_info(node, p)
        props[p] = [t, arr]
        if enum is not None:
            enums[p] = enum
        if t not in ("const", "code") and t not in out_defs:
            todo.append(t)
    # Choice groups: single elements named base + TypeName sharing a base.
    type_names = {k[0].upper() + k[1:]: k for k in defs}
    groups = {}
    for p, (t, arr) in props.items():
        if arr or p.startswith("_"):
            continue
        for tn, real in type_names.items():
            if p.endswith(tn) and len(p) > len(tn) and real == t:
                groups.setdefault(p[: -len(tn)], []).append(p)
    choices = {b: sorted(ps) for b, ps in groups.items() if len(ps) >= 2}
    entry = {"p": props}
    req = [r for r in d.get("required", []) if r != "resourceType"]
    if req:
        entry["r"] = req
    if enums:
        entry["e"] = enums
    if choices:
        entry["c"] = choices
    out_defs[name] = entry

prims = {}
for k in sorted(PRIMS):
    v = defs[k]
    prims[k] = {"t": v.get("type", "string")}
    if "pattern" in v:
        prims[k]["re"] = v["pattern"]
json.dump({"source": schema.get("id"), "resources": resources, "primitives": prims,
           "types": out_defs}, sys.stdout, sort_keys=True, separators=(",", ":"))
print()
