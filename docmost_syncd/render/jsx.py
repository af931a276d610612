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
# Style values of the shapes Docmost writes, and nothing else: colours as #hex, rgb()/rgba()/
# hsl()/hsla() of numbers, or a name; lengths as a number with px, % or em.
_CSS_COLOR = re.compile(
    r"^(?:#[0-9a-fA-F]{3,8}|(?:rgb|rgba|hsl|hsla)\(\s*[\d.]+%?(?:\s*[,/ ]\s*[\d.]+%?){2,3}\s*\)|[a-zA-Z]{3,24})$"
)
_CSS_LENGTH = re.compile(r"^\d{1,5}(?:\.\d{1,3})?(?:px|%|em|rem)$")


class Expression(str):
    """An attribute value written as it is, between braces (``src={require(...).default}``)."""


Attributes = Mapping[str, str | int | float | bool | Mapping[str, str | int | float] | None]


def css_color(value: object) -> str | None:
    """A colour from a page attribute, or None when it is not of a shape Docmost writes."""
    text = str(value).strip() if value is not None else ""
    return text if _CSS_COLOR.match(text) else None


def css_length(value: object) -> str | None:
    """A width from a page attribute (``"50%"``, ``"320px"``), or None."""
    text = str(value).strip() if value is not None else ""
    return text if _CSS_LENGTH.match(text) else None


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
