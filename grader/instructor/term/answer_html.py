"""A student's written answer as safe HTML, offline: Markdown by markdown-it-py, TeX left as TeX.

Everything a student wrote is escaped: raw HTML is shown as text (markdown-it's ``html`` off),
links keep only the schemes markdown-it allows, and an image is shown only when its bytes are in
the notebook (a cell attachment or a ``data:`` PNG, JPEG, GIF or WebP; never SVG, never a remote
address: the packet's Content-Security-Policy would block one anyway). TeX is shown as written,
in a code-styled span: MathJax and KaTeX need the network or a bundled script, and a reader of
this course reads ``$\\mathbf{K}^\\top$`` as easily.
"""

import base64
import binascii
import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

MAX_TEXT = 40_000             # characters of one answer shown; the rest is cut, with a note
MAX_IMAGE = 4 * 2**20         # bytes of one image, decoded
MAX_IMAGES = 12               # images of one answer shown; a packet stays a page a browser opens
_DATA_URL = re.compile(r"data:(image/(?:png|jpeg|gif|webp));base64,([A-Za-z0-9+/=\s]+)", re.IGNORECASE)
_HTML_IMG = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']\s*(data:image/[a-z]+;base64,[A-Za-z0-9+/=\s]+?)\s*[\"'][^>]*>",
                       re.IGNORECASE)


def _image_tag(src: str, alt: str) -> str:
    match = _DATA_URL.fullmatch(src.strip())
    if match:
        data = "".join(match[2].split())
        try:
            size = len(base64.b64decode(data, validate=True))
        except (binascii.Error, ValueError):
            size = -1
        if 0 < size <= MAX_IMAGE:
            return f'<img alt="{html.escape(alt)}" src="data:{match[1].lower()};base64,{data}">'
        why = "too large" if size > MAX_IMAGE else "not a readable image"
        return f'<span class="blocked">[image not shown: {why}]</span>'
    return f'<span class="blocked">[image not shown: {html.escape(src[:120])} is not in the notebook]</span>'


def _counted(tag: str, shown: list[int]) -> str:
    """``tag``, or a note once the answer has shown ``MAX_IMAGES`` images."""
    if tag.startswith("<img"):
        shown[0] += 1
        if shown[0] > MAX_IMAGES:
            return '<span class="blocked">[image not shown: too many images in one answer]</span>'
    return tag


def _renderer(images: Mapping[str, tuple[str, str]], shown: list[int]) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).use(dollarmath_plugin, double_inline=True)

    def image(renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        src = str(token.attrGet("src") or "")
        alt = renderer.renderInlineAsText(token.children or [], options, env)
        if src.startswith("attachment:"):
            mime, data = images.get(src[len("attachment:"):], ("", ""))
            src = f"data:{mime};base64,{data}" if mime else src
        return _counted(_image_tag(src, alt), shown)

    def math_inline(renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        return f'<code class="tex">${html.escape(tokens[idx].content)}$</code>'

    def math_block(renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        return f'<pre class="tex">$${html.escape(tokens[idx].content)}$$</pre>\n'

    def link_open(renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
        return renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("image", image)
    md.add_render_rule("math_inline", math_inline)
    md.add_render_rule("math_inline_double",
                       lambda r, t, i, o, e: f'<code class="tex">$${html.escape(t[i].content)}$$</code>')
    md.add_render_rule("math_block", math_block)
    md.add_render_rule("math_block_label", math_block)
    md.add_render_rule("link_open", link_open)
    return md


def answer_html(text: str, images: Mapping[str, tuple[str, str]] | None = None) -> str:
    """The HTML of one answer (or question): Markdown rendered, every student byte escaped."""
    images = images or {}
    cut = len(text) > MAX_TEXT
    text = _HTML_IMG.sub(lambda m: f"![figure]({''.join(m[1].split())})", text[:MAX_TEXT])
    shown = [0]   # images rendered so far, the attachments below included
    body = _renderer(images, shown).render(text)
    referenced = set(re.findall(r"attachment:([^\s)\"']+)", text))
    for name, (mime, data) in sorted(images.items()):
        if name not in referenced:
            tag = _counted(_image_tag(f"data:{mime};base64,{data}", name), shown)
            body += f"<figure>{tag}<figcaption>attached: {html.escape(name)}</figcaption></figure>\n"
    if cut:
        body += f'<p class="blocked">[cut here: the answer is longer than {MAX_TEXT} characters]</p>\n'
    return body
