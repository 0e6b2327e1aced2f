"""Markdown to self-contained HTML, for the subset the feedback reports and the check cell use.

Headings, paragraphs, ``-`` lists, pipe tables, fenced code, inline code, bold, italics and
images; local images are embedded, so one HTML file can be mailed or uploaded on its own.
"""

import base64
import html
import re
from pathlib import Path

STYLE = ("body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.45}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}"
         "pre{background:#f5f5f5;padding:.6em;overflow-x:auto}code{background:#f5f5f5}img{max-width:100%}")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


def _inline(text, base):
    pieces = re.split(r"(`[^`]+`)", text)
    out = []
    for piece in pieces:
        if piece.startswith("`") and piece.endswith("`") and len(piece) > 1:
            out.append(f"<code>{html.escape(piece[1:-1])}</code>")
            continue
        images = []  # this piece's images, put back below within the same iteration

        def keep_image(match, images=images):
            images.append(_image(match[1], match[2], base))
            return f"\0{len(images) - 1}\0"

        piece = html.escape(_IMAGE.sub(keep_image, piece), quote=False).replace("\\*", "\1").replace("\\|", "|")
        piece = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", piece)
        piece = re.sub(r"(?<!\w)\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"<em>\1</em>", piece)
        piece = re.sub(r"\0(\d+)\0", lambda m, images=images: images[int(m[1])], piece).replace("\1", "*")
        out.append(piece)
    return "".join(out)


def _image(alt, src, base):
    path = Path(base) / src if base is not None else None
    if path is not None and path.is_file():
        src = "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="{html.escape(src)}">'


def _table(rows, base):
    cells = [[c.strip() for c in re.split(r"(?<!\\)\|", r.strip()[1:-1] if r.strip().endswith("|") else r.strip()[1:])]
             for r in rows]
    head, body = cells[0], cells[2:]
    lines = ["<table><tr>" + "".join(f"<th>{_inline(c, base)}</th>" for c in head) + "</tr>"]
    lines += ["<tr>" + "".join(f"<td>{_inline(c, base)}</td>" for c in r) + "</tr>" for r in body]
    return "\n".join(lines) + "</table>"


def to_html(markdown, title, base=None):
    """A whole HTML page; ``base`` is the folder that relative image paths start from."""
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head>\n<body>\n{fragment(markdown, base)}\n</body></html>\n")


def fragment(markdown, base=None):
    """The HTML of ``markdown`` alone, to sit inside a page (a notebook's output, for one)."""
    lines, out, i = markdown.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), len(lines))
            out.append(f"<pre><code>{html.escape(chr(10).join(lines[i + 1:end]))}</code></pre>")
            i = end + 1
        elif re.match(r"#{1,6} ", line):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{_inline(line[level + 1:], base)}</h{level}>")
            i += 1
        elif line.startswith("|"):
            end = next((j for j in range(i, len(lines)) if not lines[j].startswith("|")), len(lines))
            out.append(_table(lines[i:end], base))
            i = end
        elif line.startswith("- "):
            end = next((j for j in range(i, len(lines)) if not lines[j].startswith("- ")), len(lines))
            out.append("<ul>" + "".join(f"<li>{_inline(item[2:], base)}</li>" for item in lines[i:end]) + "</ul>")
            i = end
        elif line.strip():
            end = next((j for j in range(i, len(lines))
                        if not lines[j].strip() or lines[j].startswith(("```", "#", "|", "- "))), len(lines))
            out.append(f"<p>{_inline(' '.join(lines[i:end]), base)}</p>")
            i = end
        else:
            i += 1
    return "\n".join(out)
