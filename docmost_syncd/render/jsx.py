"""JSX for what markdown cannot say (colours, merged cells, players, columns): always valid MDX,
and written only into ``.mdx`` pages, so ``markdown.format: 'detect'`` compiles it as MDX too.

Attribute values are JavaScript expressions built with ``json.dumps`` (a JSON string is a valid
JavaScript string literal), so no value can end an attribute or open an expression.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

_SAFE_ATTRIBUTE = re.compile(r"^[\w ./:%#,()-]*$")
_CSS_VALUE = re.compile(r"^[#\w\s.,()%+-]{1,64}$")


class Expression(str):
    """An attribute value written as it is, between braces (``src={require(...).default}``)."""


Attributes = Mapping[str, str | int | float | bool | Mapping[str, str | int | float] | None]


def css_value(value: object) -> str | None:
    """A colour or length from a page attribute, or None when it is not a plain CSS value."""
    text = str(value).strip() if value is not None else ""
    return text if text and _CSS_VALUE.match(text) else None


def attributes(attrs: Attributes) -> str:
    """`` name="value"`` pairs; numbers and objects as expressions, True as a bare name."""
    out = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        if value is True:
            out.append(name)
        elif isinstance(value, Expression):
            out.append(f"{name}={{{value}}}")
        elif isinstance(value, Mapping):
            if value:
                out.append(f"{name}={{{json.dumps(dict(value), ensure_ascii=False)}}}")
        elif isinstance(value, int | float):
            out.append(f"{name}={{{json.dumps(value)}}}")
        elif _SAFE_ATTRIBUTE.match(value) and "&" not in value:
            out.append(f'{name}="{value}"')
        else:
            out.append(f"{name}={{{json.dumps(value, ensure_ascii=False)}}}")
    return "".join(f" {attribute}" for attribute in out)


def open_tag(tag: str, attrs: Attributes | None = None) -> str:
    return f"<{tag}{attributes(attrs or {})}>"


def void_tag(tag: str, attrs: Attributes | None = None) -> str:
    return f"<{tag}{attributes(attrs or {})} />"


def block(tag: str, attrs: Attributes | None, content: str) -> str:
    """A JSX element around markdown blocks: MDX reads markdown inside only after a blank line."""
    if not content.strip():
        return f"{open_tag(tag, attrs)}</{tag}>"
    return f"{open_tag(tag, attrs)}\n\n{content}\n\n</{tag}>"


def require(path: str) -> Expression:
    """``require('./file').default``: the URL webpack gives a bundled file (Docusaurus's way)."""
    return Expression(f"require({json.dumps(path)}).default")
