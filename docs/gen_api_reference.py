#!/usr/bin/env python3
"""Writes docs/API-REFERENCE.md from the comments in proto/.

Reads the JSON image that `buf build` writes (with source info, so with the comments) on
standard input and prints Markdown on standard output; the standard library is all it needs:

    buf build -o -#format=json | python3 docs/gen_api_reference.py > docs/API-REFERENCE.md

CI runs the same pipe and fails when the committed file differs.
"""

import json
import re
import sys

# The packages in the order client developers meet them; any other mediation package follows.
ORDER = [
    "mediation.identity.v1",
    "mediation.directory.v1",
    "mediation.appointments.v1",
    "mediation.ratings.v1",
    "mediation.dispatch.v1",
    "mediation.audit.v1",
]

# FileDescriptorProto / DescriptorProto field numbers used in source-info paths.
FILE_MESSAGE, FILE_ENUM, FILE_SERVICE = 4, 5, 6
MESSAGE_FIELD, MESSAGE_NESTED, MESSAGE_ENUM, MESSAGE_ONEOF = 2, 3, 4, 8
ENUM_VALUE, SERVICE_METHOD = 2, 2

SCALARS = {
    "TYPE_DOUBLE": "double", "TYPE_FLOAT": "float", "TYPE_INT64": "int64",
    "TYPE_UINT64": "uint64", "TYPE_INT32": "int32", "TYPE_FIXED64": "fixed64",
    "TYPE_FIXED32": "fixed32", "TYPE_BOOL": "bool", "TYPE_STRING": "string",
    "TYPE_BYTES": "bytes", "TYPE_UINT32": "uint32", "TYPE_SFIXED32": "sfixed32",
    "TYPE_SFIXED64": "sfixed64", "TYPE_SINT32": "sint32", "TYPE_SINT64": "sint64",
}


def escape(text):
    """Escapes what Markdown would take for HTML, outside `code spans`."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def comment_lines(raw):
    """A comment's lines, without the one space after `//` and without trailing blank lines."""
    lines = [line[1:] if line.startswith(" ") else line for line in (raw or "").split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def block(raw):
    """A comment as Markdown paragraphs (and lists), as written."""
    return escape("\n".join(comment_lines(raw)))


def cell(raw):
    """A comment squeezed into one table cell: paragraphs joined by <br>."""
    paragraphs, current = [], []
    for line in comment_lines(raw):
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return escape("<br>".join(paragraphs)).replace("&lt;br&gt;", "<br>").replace("|", "\\|")


def summary(raw):
    """The first sentence of a comment, for the method tables."""
    first = " ".join(comment_lines(raw)).strip()
    first = re.split(r"(?<!e\.g\.)(?<!i\.e\.)(?<=\.)\s", first, maxsplit=1)[0]
    return escape(first).replace("|", "\\|")


def anchor(full_name):
    return full_name.lstrip(".")


class File:
    def __init__(self, descriptor):
        self.d = descriptor
        self.package = descriptor.get("package", "")
        self.comments = {}
        self.lines = {}
        for loc in descriptor.get("sourceCodeInfo", {}).get("location", []):
            path = tuple(loc.get("path", []))
            if "leadingComments" in loc:
                self.comments[path] = loc["leadingComments"]
            if path not in self.lines:
                self.lines[path] = loc["span"][0]

    def comment(self, path):
        return self.comments.get(tuple(path), "")


def type_link(type_name, package, documented):
    name = type_name.lstrip(".")
    short = name[len(package) + 1:] if name.startswith(package + ".") else name
    if name in documented:
        return f"[`{short}`](#{anchor(name)})"
    return f"`{short}`"


def field_type(field, package, documented):
    if field.get("typeName"):
        return type_link(field["typeName"], package, documented)
    return f"`{SCALARS[field['type']]}`"


def behaviours(field):
    options = field.get("options", {})
    values = options.get("[google.api.field_behavior]", [])
    return ", ".join(values)


def write_message(out, f, message, path, prefix, documented):
    full = f"{prefix}.{message['name']}"
    out.append(f'<a id="{anchor(full)}"></a>\n')
    out.append(f"### {message['name']}\n")
    if prefix != f".{f.package}":
        out.append(f"Nested in `{prefix.lstrip('.')}`.\n")
    text = block(f.comment(path))
    if text:
        out.append(text + "\n")
    fields = message.get("field", [])
    if fields:
        oneofs = [o["name"] for o in message.get("oneofDecl", [])]
        out.append("| Field | Type | Behaviour | Description |")
        out.append("|---|---|---|---|")
        for i, field in enumerate(fields):
            kind = field_type(field, f.package, documented)
            if field.get("label") == "LABEL_REPEATED":
                kind = f"repeated {kind}"
            if field.get("proto3Optional"):
                kind = f"optional {kind}"
            elif "oneofIndex" in field:
                kind = f"{kind} (oneof `{oneofs[field['oneofIndex']]}`)"
            description = cell(f.comment(path + [MESSAGE_FIELD, i]))
            out.append(
                f"| `{field['name']}` = {field['number']} | {kind} | {behaviours(field)} | {description} |"
            )
        out.append("")
    else:
        out.append("No fields.\n")
    for i, oneof in enumerate(message.get("oneofDecl", [])):
        text = cell(f.comment(path + [MESSAGE_ONEOF, i]))
        if text:
            out.append(f"Oneof `{oneof['name']}`: {text}\n")
    for i, nested in enumerate(message.get("nestedType", [])):
        write_message(out, f, nested, path + [MESSAGE_NESTED, i], full, documented)
    for i, enum in enumerate(message.get("enumType", [])):
        write_enum(out, f, enum, path + [MESSAGE_ENUM, i], full)


def write_enum(out, f, enum, path, prefix):
    full = f"{prefix}.{enum['name']}"
    out.append(f'<a id="{anchor(full)}"></a>\n')
    out.append(f"### {enum['name']} (enum)\n")
    text = block(f.comment(path))
    if text:
        out.append(text + "\n")
    out.append("| Value | Number | Description |")
    out.append("|---|---|---|")
    for i, value in enumerate(enum.get("value", [])):
        description = cell(f.comment(path + [ENUM_VALUE, i]))
        out.append(f"| `{value['name']}` | {value.get('number', 0)} | {description} |")
    out.append("")


def access(method):
    """Who may call a method, from its `(mediation.v1.access)` option."""
    option = method.get("options", {}).get("[mediation.v1.access]")
    if option is None:
        return "not published"
    if option.get("public"):
        return "public (no token needed)"
    return ", ".join(f"`{role}`" for role in option.get("roles", []))


def write_service(out, f, service, path, documented):
    full = f".{f.package}.{service['name']}"
    out.append(f'<a id="{anchor(full)}"></a>\n')
    out.append(f"### {service['name']}\n")
    text = block(f.comment(path))
    if text:
        out.append(text + "\n")
    methods = service.get("method", [])
    out.append("| Method | Request | Response | Summary |")
    out.append("|---|---|---|---|")
    for i, method in enumerate(methods):
        request = type_link(method["inputType"], f.package, documented)
        response = type_link(method["outputType"], f.package, documented)
        if method.get("serverStreaming"):
            response = f"stream {response}"
        link = f"[{method['name']}](#{anchor(full)}.{method['name']})"
        out.append(f"| {link} | {request} | {response} | {summary(f.comment(path + [SERVICE_METHOD, i]))} |")
    out.append("")
    for i, method in enumerate(methods):
        out.append(f'<a id="{anchor(full)}.{method["name"]}"></a>\n')
        out.append(f"#### {service['name']}.{method['name']}\n")
        stream = "stream " if method.get("serverStreaming") else ""
        request = method["inputType"].lstrip(".").removeprefix(f.package + ".")
        response = method["outputType"].lstrip(".").removeprefix(f.package + ".")
        out.append(f"`rpc {method['name']}({request}) returns ({stream}{response})`\n")
        out.append(f"Access: {access(method)}.\n")
        text = block(f.comment(path + [SERVICE_METHOD, i]))
        if text:
            out.append(text + "\n")


def main():
    image = json.load(sys.stdin)
    files = [File(d) for d in image["file"] if d["name"].startswith("mediation/")]
    files.sort(key=lambda f: (ORDER.index(f.package) if f.package in ORDER else len(ORDER), f.d["name"]))

    documented = set()
    def collect(prefix, messages, enums):
        for m in messages:
            name = f"{prefix}.{m['name']}"
            documented.add(name)
            collect(name, m.get("nestedType", []), m.get("enumType", []))
        for e in enums:
            documented.add(f"{prefix}.{e['name']}")
    for f in files:
        collect(f.package, f.d.get("messageType", []), f.d.get("enumType", []))
        for s in f.d.get("service", []):
            documented.add(f"{f.package}.{s['name']}")

    out = [
        "# API reference (v1)\n",
        "<!-- Generated from proto/ by docs/gen_api_reference.py; do not edit. -->\n",
        "Generated from the comments in the `.proto` files under `proto/` "
        "(`buf build -o -#format=json | python3 docs/gen_api_reference.py`); do not edit by hand. "
        "The same text is served through server reflection. Field behaviours are the "
        "`google.api.field_behavior` annotations: REQUIRED fields must be set in requests, "
        "OUTPUT_ONLY fields are set by the server and ignored in requests, IMMUTABLE fields "
        "cannot change after creation, IDENTIFIER names the resource. Each method's Access line is "
        "its `(mediation.v1.access)` option: the roles whose tokens the gateway lets through, or "
        "public.\n",
        "## Contents\n",
    ]
    for f in files:
        services = ", ".join(
            f"[{s['name']}](#{f.package}.{s['name']})" for s in f.d.get("service", [])
        )
        out.append(f"- [`{f.package}`](#{f.package}): {services or 'options every service uses'}")
    out.append("")

    for f in files:
        out.append(f'<a id="{f.package}"></a>\n')
        out.append(f"## {f.package}\n")
        out.append(f"File `proto/{f.d['name']}`.\n")
        for i, service in enumerate(f.d.get("service", [])):
            write_service(out, f, service, [FILE_SERVICE, i], documented)
        items = [(f.lines.get((FILE_MESSAGE, i), 0), "m", i) for i in range(len(f.d.get("messageType", [])))]
        items += [(f.lines.get((FILE_ENUM, i), 0), "e", i) for i in range(len(f.d.get("enumType", [])))]
        for _, kind, i in sorted(items):
            if kind == "m":
                write_message(out, f, f.d["messageType"][i], [FILE_MESSAGE, i], f".{f.package}", documented)
            else:
                write_enum(out, f, f.d["enumType"][i], [FILE_ENUM, i], f".{f.package}")

    sys.stdout.write("\n".join(out).rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
