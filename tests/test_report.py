"""The briefing report (lib.report): self-contained HTML, figures equal to the pack's, the static map,
hostile text inert (also inside the interactive map's srcdoc), and the PDF read back."""

from __future__ import annotations

import html
import io
import json
import re
from dataclasses import replace
from html.parser import HTMLParser

import numpy as np
import pypdf
import pypdfium2
import pytest

from lib import budget, examples, lotgeo, pack, palette, report, svgdraw
from lib.catchment import prepare
from lib.data import load_default
from lib.metrics import evaluate
from lib.scenario import Rules, Scenario

ATTRIBUTION = ("Contains public sector information licensed under the Open Government Licence v3.0. "
               "Contains OS data © Crown copyright and database right 2025.")
SCRIPT = '<script>alert(1)</script>=HYPERLINK("http://x")'
IMG = '"><img src=x onerror=alert(1)>'
NOTE = {"kind": "challenge", "group": "BRE", "text": "Too far for Thetford families", "author": "Ann",
        "when": "2026-12-01 10:00"}


# ------------------------------------------------------------------------------------- helpers


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag, self.attrs = tag, attrs
        self.parts: list[str | Node] = []  # text and child elements, in document order

    @property
    def children(self) -> list[Node]:
        return [p for p in self.parts if isinstance(p, Node)]

    def iter(self):
        yield self
        for child in self.children:
            yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        return [n for n in self.iter() if (tag is None or n.tag == tag)
                and (cls is None or cls in (n.attrs.get("class") or "").split())]

    def all_text(self) -> str:
        return "".join(p if isinstance(p, str) else p.all_text() for p in self.parts)


VOID = {"meta", "link", "br", "img", "col", "input", "hr", "source", "area", "base", "wbr"}


class Tree(HTMLParser):
    """A minimal DOM: every element with its attributes (unescaped, as a browser sees them) and text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.stack[-1].parts.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].parts.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        self.stack[-1].parts.append(data)


EXTERNAL = re.compile(r"^\s*(https?:|//|file:)", re.I)
URL_FN = re.compile(r"url\(\s*['\"]?([^'\")]*)", re.I)


def external_references(text: str, where: str = "report") -> list[str]:
    """Every src/href/any attribute value, CSS url() or @import in ``text`` (and, recursively, in each
    iframe srcdoc) that names http(s), a protocol-relative // or file: URL; url() must be data:."""
    found = []
    tree = Tree(text)
    for node in tree.root.iter():
        for name, value in node.attrs.items():
            value = value or ""
            if name == "srcdoc":
                found += external_references(value, f"{where} > iframe srcdoc")
                continue
            if EXTERNAL.match(value):
                found.append(f"{where}: <{node.tag} {name}={value[:80]!r}>")
            found += [f"{where}: <{node.tag} {name}> url({u[:80]})" for u in URL_FN.findall(value)
                      if not u.strip().startswith("data:")]
            if "@import" in value:
                found.append(f"{where}: <{node.tag} {name}> @import")
        if node.tag == "style":
            css = node.all_text()
            found += [f"{where}: <style> url({u[:80]})" for u in URL_FN.findall(css)
                      if not u.strip().startswith("data:")]
            found += [f"{where}: <style> @import" for _ in re.finditer("@import", css)]
    return found


def section(tree: Node, name: str) -> Node:
    (found,) = [n for n in tree.find_all("section") if n.attrs.get("id") == name]
    return found


def srcdoc(text: str) -> str:
    frames = Tree(text).root.find_all("iframe")
    assert len(frames) == 1
    return frames[0].attrs["srcdoc"]


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def net():
    return prepare(load_default())


@pytest.fixture(scope="module")
def starts(net):
    ev0 = evaluate(net, Scenario.baseline(net.centre_ids))
    return examples.starting_points(net, ev0.centre["reach"])


@pytest.fixture(scope="module")
def clusters(net, starts):
    return pack.build_pack(evaluate(net, starts[1]), notes=[NOTE], attribution=ATTRIBUTION)


@pytest.fixture(scope="module")
def review(net, starts):
    """The 2019 review: 15 open centres, 39 closed."""
    return pack.build_pack(evaluate(net, starts[3]), attribution=ATTRIBUTION)


@pytest.fixture(scope="module")
def clusters_html(clusters):
    return report.report_html(clusters)


@pytest.fixture(scope="module")
def hostile(net, starts):
    """A centre named with script and markup, a lead agency and a group label likewise, and the
    same text as the scenario name, notes, a consultation note and its author."""
    centres = net.dataset.centres.copy()
    centres.loc[0, "name"] = SCRIPT + IMG
    hostile_net = prepare(replace(net.dataset, centres=centres, name=IMG))
    sc = examples.starting_points(hostile_net, evaluate(hostile_net, Scenario.baseline(
        hostile_net.centre_ids)).centre["reach"])[1]
    sc = sc.with_lots(["BRE"], route="application", lead_agency=SCRIPT + IMG)
    sc = replace(sc.move(sc.members("SN"), SCRIPT + IMG), name=SCRIPT, notes=IMG)
    note = {**NOTE, "group": IMG, "text": SCRIPT + IMG, "author": IMG}
    return pack.build_pack(evaluate(hostile_net, sc), notes=[note], attribution=ATTRIBUTION)


# ---------------------------------------------------------------------------------- self-contained


def test_the_reference_check_catches_external_urls():
    bad = ['<img src="https://x/p.png">', '<a href="//x">', '<link href="file:///etc/passwd">',
           '<div style="background: url(images/a.png)">', "<style>@import 'x.css';</style>",
           '<iframe srcdoc="&lt;script src=&quot;http://x/l.js&quot;&gt;&lt;/script&gt;"></iframe>',
           '<iframe srcdoc="&lt;style&gt;a { background: url(//x/a.png) }&lt;/style&gt;"></iframe>']
    for text in bad:
        assert external_references(text), text
    assert external_references('<img src="data:image/png;base64,AAAA"><a href="#lots">') == []


@pytest.mark.parametrize("interactive", [True, False])
def test_the_report_names_no_other_file_or_host(clusters, interactive):
    text = report.report_html(clusters, interactive=interactive)
    assert external_references(text) == []
    assert ("<iframe" in text) is interactive


def test_the_interactive_map_inlines_leaflet_and_nothing_else(clusters_html):
    doc = srcdoc(clusters_html)
    tree = Tree(doc).root
    assert [n for n in tree.find_all("script") if "src" in n.attrs] == []
    assert tree.find_all("link") == []
    scripts = "".join(n.all_text() for n in tree.find_all("script"))
    assert "Leaflet 1.9.4" in scripts and "L.map(" in scripts and "fitBounds" in scripts
    for name in ("jquery", "bootstrap", "awesome-markers", "font-awesome", "cdn.jsdelivr", "cdnjs"):
        assert name not in doc.lower(), name
    css = "".join(n.all_text() for n in tree.find_all("style"))
    assert ".leaflet-container" in css and "url(data:image/png;base64," in css
    assert external_references(doc) == []


def test_leaflet_css_keeps_no_file_url():
    js, css = report.leaflet_assets()
    assert js.startswith("/* @preserve\n * Leaflet 1.9.4")
    assert all(u.startswith("data:") for u in URL_FN.findall(css)) and URL_FN.findall(css)


# ------------------------------------------------------------------------------------- figures


def test_the_sections_come_in_order(clusters_html):
    order = ["title", "totals", "map", "lots", "budget", "rules", "notes", "formulas", "data"]
    positions = [clusters_html.index(f'id="{s}"') for s in order]
    assert positions == sorted(positions)


def test_headline_figures_equal_the_pack(clusters, clusters_html):
    t, b = clusters.totals, clusters.baseline_totals
    cards = {n.attrs["data-key"]: n for n in Tree(clusters_html).root.find_all("div", "card")}
    value = {k: n.find_all("span", "value")[0].all_text() for k, n in cards.items()}
    assert value == {
        "lots": f"{t['lots']:,}", "open_centres": f"{t['open_centres']:,}",
        "children_covered": f"{t['children_covered']:,}", "deprived_share": f"{100 * t['deprived_share']:.1f}%",
        "budget_total": budget.money(t["budget_total"]), "saving": budget.money(t["saving"]),
        "envelope": budget.money(t["envelope"]),
    }
    assert value["lots"] == "7" and value["budget_total"] == "£8.25m"
    change = {k: n.find_all("span", "change")[0].all_text() for k, n in cards.items()}
    assert change["lots"] == f"\u2212{b['lots'] - t['lots']}; baseline {b['lots']}"
    assert f"£{t['budget_total']:,.0f} a year" in change["budget_total"]
    assert budget.money(t["budget_total"] - b["budget_total"]) in change["budget_total"]
    assert change["envelope"] == clusters.gap_text
    for line in (clusters.route_text, clusters.lead_text, clusters.gap_text, clusters.scenario, clusters.dataset):
        assert html.escape(line) in clusters_html
    assert clusters.created.strftime("%B %Y") in clusters_html


def test_contracts_by_route_equal_the_pack(net, starts):
    sc = starts[1].with_lots(["BRE", "NOR"], route="application")
    p = pack.build_pack(evaluate(net, sc))
    rows = Tree(report.report_html(p, interactive=False)).root.find_all("table", "by-route")[0].find_all("tr")[1:]
    cells = [[td.all_text() for td in tr.find_all("td")] for tr in rows]
    assert [c[:2] for c in cells] == [["application process", "2"], ["not decided", "5"]]
    values = dict(zip(p.by_route["Procurement route"], p.by_route["Contract value (£ a year)"], strict=True))
    assert [c[2] for c in cells] == [f"£{values[c[0]]:,.0f}" for c in cells]
    assert "2 application, 5 not decided" in p.route_text


def test_the_lot_table_shows_each_lot_as_the_pack(clusters, clusters_html):
    rows = Tree(clusters_html).root.find_all("table", "lots")[0].find_all("tr")[1:]
    assert len(rows) == len(clusters.lots) == 7
    for tr, lot in zip(rows, clusters.lots.to_dict("records"), strict=True):
        cells = [td.all_text() for td in tr.find_all("td")]
        assert cells[0] == lot["Group"] == tr.attrs["data-group"]
        assert cells[1] == lot["Procurement route"]
        assert cells[3] == f"{lot['Open centres']:,}" and cells[4] == f"{lot['Reach (children)']:,}"
        assert cells[6] == f"{lot['Deprived share (%)']:.1f}%"
        assert cells[7] == f"£{lot['Lot value (£ a year)']:,.0f}"
        assert cells[8] == lot["Rule flags"]
    assert "<h2>Lots (7)</h2>" in clusters_html
    assert sum(float(re.sub(r"[£,]", "", r.find_all("td")[7].all_text())) for r in rows) == pytest.approx(
        clusters.totals["budget_total"], abs=4)


def test_the_static_map_draws_each_lot_once_with_its_label(clusters, clusters_html):
    svg = Tree(clusters_html).root.find_all("figure", "static-map")[0].find_all("svg")[0]
    assert svg.attrs["viewbox"].startswith("0 0 1000 ") and svg.attrs["width"] == "100%"
    colours = palette.group_colours(list(clusters.lots["Group"]))
    lots = svg.find_all("path", "lot")
    assert [p.attrs["data-group"] for p in lots] == ["BRE", "BRO", "GY", "KLWN", "NN", "NOR", "SN"]
    assert all(p.attrs["fill"] == colours[p.attrs["data-group"]] and p.attrs["stroke"] == "#ffffff"
               and p.attrs["d"].startswith("M") for p in lots)
    labels = svg.find_all("g", "lot-label")
    assert sorted(g.all_text() for g in labels) == sorted(p.attrs["data-group"] for p in lots)
    assert len(svg.find_all("g", "centre-open")) == 54 and svg.find_all("g", "centre-closed") == []
    legend = Tree(clusters_html).root.find_all("ul", "lots-legend")[0]
    assert [li.all_text() for li in legend.find_all("li")] == [p.attrs["data-group"] for p in lots]
    caption = Tree(clusters_html).root.find_all("figure", "static-map")[0].find_all("figcaption")[0]
    assert ATTRIBUTION in caption.all_text()


def test_lot_labels_do_not_overlap_and_stay_in_the_frame(net, starts):
    ev = evaluate(net, starts[0])  # 54 lots, a dozen in Norwich
    svg = svgdraw.lot_map(lotgeo.lot_areas(ev), lotgeo.centres_points(ev), palette.group_colours(
        list(ev.scenario.groups())))
    view = [float(v) for v in re.search(r'viewBox="([^"]+)"', svg).group(1).split()]
    boxes = []
    for g in Tree(svg).root.find_all("g", "lot-label"):
        texts = g.find_all("text")
        x, y, size = (float(texts[-1].attrs[k]) for k in ("x", "y", "font-size"))
        half = svgdraw.text_width(texts[-1].all_text(), size, bold=True) / 2
        boxes.append((x - half, y - size, x + half, y + 0.2 * size))
    assert len(boxes) == 54
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[2] <= view[2] and a[1] >= 0 and a[3] <= view[3]
        for b in boxes[:i]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def test_closed_centres_are_marked_on_the_map(review):
    text = report.report_html(review, interactive=False)
    svg = Tree(text).root.find_all("figure", "static-map")[0]
    assert len(svg.find_all("g", "centre-closed")) == review.totals["closed_centres"] == 39
    assert len(svg.find_all("g", "centre-open")) == review.totals["open_centres"] == 15
    crosses = svg.find_all("g", "centre-closed")[0].find_all("path")
    assert crosses[-1].attrs["stroke"] == palette.CLOSED_COLOUR
    assert "closed or merged centre" in text


def test_the_charts(clusters, clusters_html):
    tree = Tree(clusters_html).root
    fall = tree.find_all("figure", "waterfall")[0]
    names = [r.attrs["data-name"] for r in fall.find_all("rect", "bar")]
    assert names == ["Baseline total", *[n for n, _ in clusters.waterfall], "Scenario total"]
    fills = {r.attrs["data-name"]: r.attrs["fill"] for r in fall.find_all("rect", "bar")}
    assert fills["Fewer lots (management)"] == svgdraw.SAVING_COLOUR  # a saving: green
    labels = [t.all_text() for t in fall.find_all("text")]
    t = clusters.totals
    assert budget.money(t["baseline_total"]) in labels and budget.money(t["budget_total"]) in labels
    assert "\u2212£1.88m" in labels and budget.money(t["envelope"]) in labels
    assert fall.find_all("line", "envelope")[0].attrs["stroke-dasharray"]
    reach = tree.find_all("figure", "reach")[0]
    bars = reach.find_all("rect", "reach-bar")
    assert [b.attrs["data-group"] for b in bars] == list(clusters.lots["Group"])
    assert reach.find_all("line", "min-reach") and "rule: 600" in reach.all_text()
    assert "516 below" in reach.all_text()  # NN: 3,614 children for 7 centres


def test_an_increase_is_red_in_the_waterfall():
    svg = svgdraw.waterfall(1e6, [("Dearer", 2e5), ("Cheaper", -5e4), ("Same", 0.0)], 1.15e6, 9e5)
    fills = {r.attrs["data-name"]: r.attrs["fill"] for r in Tree(svg).root.find_all("rect", "bar")}
    assert fills["Dearer"] == svgdraw.INCREASE_COLOUR and fills["Cheaper"] == svgdraw.SAVING_COLOUR
    text = Tree(svg).root.all_text()
    assert "+£0.20m" in text and "\u2212£50,000" in text and "no change" in text


def test_breaches_notes_and_formulas(clusters, clusters_html):
    tree = Tree(clusters_html).root
    text = section(tree, "rules").all_text()
    for name in clusters.breaches["rule_name"].unique():
        assert name in text
    for r in clusters.breaches.itertuples():
        assert f"{r.name}: {r.reason}" in text
    assert "No rule is broken" not in clusters_html
    notes = tree.find_all("table", "notes")[0].find_all("td")
    assert [td.all_text() for td in notes] == [NOTE[k] for k in ("kind", "group", "text", "author", "when")]
    formulas = section(tree, "formulas").all_text()
    for name, _ in clusters.formulas:
        assert name in formulas
    for label, unit, formula in pack.metric_formulas():
        assert f"{label} ({unit}): {formula}" in formulas
    data = section(tree, "data").all_text()
    assert clusters.dataset_notes[0] in data and ATTRIBUTION in data


def test_no_rule_broken_is_said(net):
    off = Rules(min_reach=None, group_min=None, group_max=None, max_span_km=None, max_distance_km=None,
                within_envelope=False)
    p = pack.build_pack(evaluate(net, replace(Scenario.baseline(net.centre_ids), rules=off)))
    assert p.breaches.empty
    text = report.report_html(p, interactive=False)
    assert "No rule is broken." in text and "No consultation notes are recorded." in text
    assert "The minimum reach rule is off." in text and 'class="min-reach"' not in text


def test_print_css(clusters_html):
    css = Tree(clusters_html).root.find_all("style")[0].all_text()
    assert re.search(r"@page\s*{\s*size:\s*A4;\s*margin:\s*15mm", css)
    assert 'content: "Page " counter(page) " of " counter(pages)' in css
    assert "tr { break-inside: avoid" in css and "break-after: avoid" in css
    media = css[css.index("@media print"):]
    assert ".interactive { display: none; }" in media and re.search(r"body { font-size: 1\d(\.\d)?pt; }", media)


# ------------------------------------------------------------------------------------- hostile text


def test_hostile_text_is_inert_everywhere(hostile):
    text = report.report_html(hostile)
    for raw in ("<script>alert", "<img src=x", "<img"):
        assert raw not in text
    tree = Tree(text).root
    assert [n.tag for n in tree.iter() if n.tag in {"img", "a"}] == []
    assert sum(1 for n in tree.iter() if n.tag == "script") == 0  # the report's own page runs no script
    assert [a for n in tree.iter() for a in n.attrs if a.startswith("on")] == []
    escaped = html.escape(SCRIPT + IMG)
    assert text.count(escaped) >= 3  # the lead agency, the note, the group label... shown, escaped
    assert f'<strong class="running">{html.escape(SCRIPT)}</strong>' in text
    # the interactive map: after the srcdoc attribute's own unescaping, still no markup from the data
    doc = srcdoc(text)
    for raw in ("<script>alert", "<img src=x", "HYPERLINK(\"http"):
        assert raw not in doc
    inner = Tree(doc).root
    assert [n.tag for n in inner.iter() if n.tag == "img"] == []
    assert [a for n in inner.iter() for a in n.attrs if a.startswith("on")] == []
    data = [json.loads(m) for m in re.findall(r"_add\((\{.*?\})\);\n", doc)]
    props = [f["properties"] for d in data for f in d["features"]]
    names = [p.get("name") for p in props if "name" in p]
    assert html.escape(SCRIPT + IMG) in names  # the tooltip's text is escaped HTML, shown as text
    leads = [p["lead"] for p in props if "lead" in p]
    assert html.escape(SCRIPT + IMG) in leads
    assert html.escape(SCRIPT + IMG) in [p["group"] for p in props if "lead" in p]


def test_the_pdf_of_hostile_text(hostile):
    pdf = pypdf.PdfReader(io.BytesIO(report.report_pdf(hostile)))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "<script>alert(1)</script>" in text  # shown as the text it is


# ---------------------------------------------------------------------------------------------- PDF


@pytest.fixture(scope="module")
def clusters_pdf(clusters):
    return report.report_pdf(clusters)


def test_the_pdf_reads_back(clusters, clusters_pdf):
    reader = pypdf.PdfReader(io.BytesIO(clusters_pdf))
    n = len(reader.pages)
    assert n >= 2
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)  # A4
    pages = [page.extract_text() for page in reader.pages]
    text = "".join(pages)
    for needle in (clusters.title, clusters.scenario, budget.money(clusters.totals["budget_total"]), "KLWN",
                   f"£{clusters.lots['Lot value (£ a year)'].iat[0]:,.0f}", NOTE["text"]):
        assert needle in text, needle
    assert f"Page 1 of {n}" in pages[0] and f"Page {n} of {n}" in pages[-1]
    assert "Explore the map" not in text  # the interactive map is left out of the paper


def test_the_pdf_pages_are_drawn(clusters, clusters_pdf):
    doc = pypdfium2.PdfDocument(clusters_pdf)
    first = np.asarray(doc[0].render(scale=1).to_pil().convert("L"))
    assert (first < 200).mean() > 0.01  # page 1 has text on it
    colours = palette.group_colours(list(clusters.lots["Group"]))
    target = np.array([int(colours["KLWN"][i:i + 2], 16) for i in (1, 3, 5)])
    drawn = [int((np.abs(np.asarray(doc[i].render(scale=1).to_pil().convert("RGB")).astype(int) - target)
                  .max(axis=2) < 12).sum()) for i in range(min(len(doc), 3))]
    assert max(drawn) > 5000  # the static map's KLWN lot, filled in its colour


def test_the_pdf_fetches_nothing():
    fetch = report.offline_fetcher()
    assert fetch("data:text/plain,hello").read() == b"hello"
    for url in ("http://127.0.0.1:9/x.png", "https://example.org/x.css", "file:///etc/passwd"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetch(url)


def test_a_pack_without_an_evaluation_is_refused(clusters):
    with pytest.raises(ValueError, match="no evaluation"):
        report.report_html(replace(clusters, ev=None))
