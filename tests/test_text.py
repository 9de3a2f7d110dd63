"""lib.text: user text rendered through markdown or HTML comes out as exactly that text."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from lib.text import DISPLAY_LIMIT, control_characters, html_text, md, plain

# CommonMark plus what GFM / Streamlit add that can fetch or link: bare-URL autolinks, tables,
# strikethrough; html=True so a raw tag would come through as a tag.
RENDER = MarkdownIt("commonmark", {"html": True, "linkify": True}).enable(["linkify", "table", "strikethrough"])

HOSTILE = [
    "![px](http://127.0.0.1:9/px_centre_name)",
    "[click](javascript:alert(1))",
    "<img src=x onerror=window.__pwned=1>",
    "<script>window.__pwned=1</script>",
    "http://127.0.0.1:9/bare and www.example.com and a@b.co",
    "<http://127.0.0.1:9/auto>",
    "# heading\n- list\n> quote\n```code```",
    "| a | b |\n|---|---|\n| c | d |",
    "**bold** _it_ ~~strike~~ `tick` $x^2$ :red[colour] :material/home:",
    "=HYPERLINK(\"http://x\")",
    "back\\slash \\![not](escaped)",
    "&amp; &lt;b&gt; &#60;img&#62;",
    "nul\x00 bell\x07 esc\x1b[31m rtl\u202eoverride",
    "lone \ud800 surrogate",
]


def rendered_text(markdown: str) -> str:
    """The HTML that markdown renders to, inside its paragraph."""
    out = RENDER.render(markdown).strip()
    return re.sub(r"^<p>(.*)</p>$", r"\1", out, flags=re.S)


def test_hostile_strings_render_as_themselves():
    for text in HOSTILE:
        out = rendered_text(md(text))
        assert "<" not in out, (text, out)  # no element at all: no link, image, script, heading or table
        assert html.unescape(out) == plain(text), (text, out)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_renders_as_itself(text):
    out = rendered_text(md(text, limit=None))
    assert "<" not in out
    # markdown drops spaces at the ends of the text and collapses runs of them: compare normalised
    assert " ".join(html.unescape(out).split()) == " ".join(plain(text, limit=None).split())


def test_html_text_escapes_markup_and_quotes():
    assert html_text('<b onclick="x">&\'') == "&lt;b onclick=&quot;x&quot;&gt;&amp;&#x27;"


def test_plain_removes_what_cannot_be_shown_and_cuts_long_text():
    assert plain("a\x00b\tc\nd\u202ee") == "ab c de"
    assert plain("lone \ud800") == "lone \ufffd"
    long = plain("x" * 10_000)
    assert len(long) == DISPLAY_LIMIT and long.endswith("…")
    assert plain(None) == "" and plain(42) == "42"
    assert control_characters("ok\tfine\nline") == []
    assert control_characters("a\x00b\x1b\ud800") == ["U+0000", "U+001B", "U+D800"]
