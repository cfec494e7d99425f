#!/usr/bin/env python3
"""Independent checks of the files `conduct export` writes, run by tests/export.rs.

    check.py graphml FILE   validate against the published GraphML schema (graphml.xsd here,
                            which redefines graphml-structure.xsd) with lxml; check every
                            <data> value against its key's attr.type
    check.py anx FILE       validate against anx-structure.xsd (i2's ANX structure, narrowed to
                            what Conduct writes) with lxml; check DateSet against DateTime
    check.py parquet DIR    read every DIR/*.parquet with pyarrow: row counts, column types,
                            and every cell as text

Prints one JSON object on standard output. Schemas are read from this folder only: any other
schema location is refused, so nothing is fetched from the network.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VENDORED = {"graphml.xsd", "graphml-structure.xsd", "xlink.xsd", "anx-structure.xsd"}


def load_schema(name):
    from lxml import etree

    class Offline(etree.Resolver):
        def resolve(self, url, pubid, context):
            base = url.rsplit("/", 1)[-1]
            if base in VENDORED:
                return self.resolve_filename(os.path.join(HERE, base), context)
            raise RuntimeError(f"schema {url} is not vendored in {HERE}; refusing to fetch it")

    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(Offline())
    return etree.XMLSchema(etree.parse(os.path.join(HERE, name), parser))


def validate(path, schema_name):
    from lxml import etree

    schema = load_schema(schema_name)
    doc = etree.parse(path, etree.XMLParser(no_network=True, huge_tree=True))
    valid = schema.validate(doc)
    errors = [f"line {e.line}: {e.message}" for e in schema.error_log]
    return doc, valid, errors


def graphml(path):
    doc, valid, errors = validate(path, "graphml.xsd")
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    keys = {}
    for k in doc.findall("g:key", ns):
        keys[k.get("id")] = (k.get("for"), k.get("attr.name"), k.get("attr.type"))
    for d in doc.iter("{http://graphml.graphdrawing.org/xmlns}data"):
        _, name, ty = keys[d.get("key")]
        text = d.text or ""
        try:
            if ty in ("int", "long"):
                int(text)
            elif ty in ("float", "double"):
                float(text)
            elif ty == "boolean" and text not in ("true", "false"):
                raise ValueError(text)
        except ValueError:
            errors.append(f"<data key={d.get('key')}> {text!r} is not a {ty}")
    nodes = doc.findall("g:graph/g:node", ns)
    edges = doc.findall("g:graph/g:edge", ns)

    def data(el):
        return {keys[d.get("key")][1]: d.text or "" for d in el.findall("g:data", ns)}

    return {
        "valid": valid and not errors,
        "errors": errors[:20],
        "keys": {f"{f}:{n}": t for f, n, t in keys.values()},
        "nodes": [data(n) for n in nodes],
        "edges": [dict(data(e), source=e.get("source"), target=e.get("target")) for e in edges],
    }


def anx(path):
    doc, valid, errors = validate(path, "anx-structure.xsd")
    entities, links = [], []
    for item in doc.findall("ChartItemCollection/ChartItem"):
        date_set = item.get("DateSet") == "true"
        if date_set != (item.get("DateTime") is not None):
            errors.append(f"ChartItem {item.get('Label')!r}: DateSet={item.get('DateSet')} but DateTime={item.get('DateTime')}")
        attrs = {a.get("AttributeClass"): a.get("Value") for a in item.findall("AttributeCollection/Attribute")}
        entity = item.find("End/Entity")
        if entity is not None:
            entities.append(
                {
                    "id": entity.get("EntityId"),
                    "identity": entity.get("Identity"),
                    "type": entity.find("Icon/IconStyle").get("Type"),
                    "label": item.get("Label"),
                    "description": item.get("Description"),
                    "date": item.get("DateTime"),
                    "attributes": attrs,
                }
            )
        link = item.find("Link")
        if link is not None:
            links.append(
                {
                    "from": link.get("End1Id"),
                    "to": link.get("End2Id"),
                    "type": link.find("LinkStyle").get("Type"),
                    "label": item.get("Label"),
                    "date": item.get("DateTime"),
                    "attributes": attrs,
                }
            )
    return {"valid": valid and not errors, "errors": errors[:20], "entities": entities, "links": links}


def cell(v):
    import datetime

    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime.date):
        return v.isoformat()
    return str(v)


def parquet(folder):
    import pyarrow.parquet as pq

    out = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".parquet"):
            continue
        table = pq.read_table(os.path.join(folder, name))
        out[name[: -len(".parquet")]] = {
            "rows": table.num_rows,
            "columns": [f.name for f in table.schema],
            "types": {f.name: str(f.type) for f in table.schema},
            "nullable": {f.name: f.nullable for f in table.schema},
            "cells": {c: [cell(v) for v in table.column(c).to_pylist()] for c in table.column_names},
        }
    return out


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    result = {"graphml": graphml, "anx": anx, "parquet": parquet}[kind](path)
    json.dump(result, sys.stdout)
