"""Accessibility checks for the browser tests: axe-core (vendored, never from a CDN) in a Playwright page.

>>> from a11y import axe_violations, format_violations
>>> found = axe_violations(page)                    # serious and critical WCAG 2.0/2.1 A+AA violations
>>> assert not found, format_violations(found)

axe-core 4.14.1 lives in ``tests/browser/vendor/axe-core/`` (see its README for the tarball and its
integrity). It is injected with ``page.add_script_tag(path=...)`` into the page and into every child frame,
then run once from the top document: axe walks open shadow roots itself (the centre map, a Streamlit
``components.v2`` component, renders inline in a shadow root, not in an iframe) and, with axe present in
each frame, also the content of iframes (``iframes: true``, axe's default), reporting their nodes with
a frame-path selector (a list: ``["iframe", "#inside"]``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

AXE_DIR = Path(__file__).resolve().parent / "vendor" / "axe-core"
AXE_JS = AXE_DIR / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
IMPACTS = ("minor", "moderate", "serious", "critical")

_RUN = """async ([tags, include, exclude]) => {
  const context = include || exclude ? {} : document;
  if (include) context.include = include;
  if (exclude) context.exclude = exclude;
  const res = await window.axe.run(context, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
    iframes: true,
  });
  return {
    version: window.axe.version,
    violations: res.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
      nodes: v.nodes.map((n) => ({
        target: n.target, html: n.html, impact: n.impact,
        summary: n.failureSummary || "",
      })),
    })),
  };
}"""


def inject_axe(page: Any) -> str:
    """Put axe-core into ``page`` and each of its child frames (once); return axe's version."""
    if not AXE_JS.exists():
        raise FileNotFoundError(f"{AXE_JS} is missing (see tests/browser/vendor/axe-core/README.md)")
    for frame in page.frames:
        try:
            if frame.evaluate("() => typeof window.axe === 'undefined'"):
                frame.add_script_tag(path=str(AXE_JS))
        except Exception:  # a frame detached meanwhile, or one that cannot run scripts
            if frame is page.main_frame:
                raise
    return page.evaluate("() => window.axe.version")


def axe_run(page: Any, *, tags: Sequence[str] = WCAG_TAGS, include: Iterable[Any] | None = None,
            exclude: Iterable[Any] | None = None) -> dict[str, Any]:
    """Run axe on the whole page (its shadow roots and frames too); ``{"version", "violations"}`` as
    axe reports them (every impact). ``include``/``exclude`` are axe context selectors."""
    inject_axe(page)
    return page.evaluate(_RUN, [list(tags), _context(include), _context(exclude)])


def axe_violations(page: Any, impacts: Sequence[str] = ("serious", "critical"), *,
                   tags: Sequence[str] = WCAG_TAGS, include: Iterable[Any] | None = None,
                   exclude: Iterable[Any] | None = None) -> list[dict[str, Any]]:
    """The WCAG 2.0/2.1 A and AA violations axe finds in ``page`` whose impact is in ``impacts``.

    Each is ``{"id", "impact", "help", "helpUrl", "nodes": [{"target", "html", "impact", "summary"}]}``;
    ``target`` is axe's selector path (a list: one entry per frame or shadow root crossed).
    """
    wanted = set(impacts)
    unknown = wanted - set(IMPACTS)
    if unknown:
        raise ValueError(f"unknown impact(s) {sorted(unknown)}; axe knows {IMPACTS}")
    out = []
    for v in axe_run(page, tags=tags, include=include, exclude=exclude)["violations"]:
        nodes = [n for n in v["nodes"] if (n.get("impact") or v["impact"]) in wanted]
        if v["impact"] in wanted or nodes:
            out.append({**v, "nodes": nodes or v["nodes"]})
    return out


def selector(target: Any) -> str:
    """axe's node target as one readable string (frames and shadow roots joined by ``>>>``)."""
    if isinstance(target, str):
        return target
    return " >>> ".join(selector(t) for t in target)


def format_violations(violations: Sequence[dict[str, Any]], *, where: str = "", max_nodes: int = 6,
                      max_html: int = 220) -> str:
    """A readable list of violations for an assertion message."""
    if not violations:
        return f"{where}: no violations" if where else "no violations"
    lines = [f"{len(violations)} axe violation(s){' on ' + where if where else ''}:"]
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} node(s)) {v.get('helpUrl', '')}")
        for n in v["nodes"][:max_nodes]:
            html = " ".join(str(n.get("html", "")).split())
            if len(html) > max_html:
                html = html[: max_html - 1] + "…"
            lines.append(f"    {selector(n['target'])}\n      {html}")
            summary = " ".join(str(n.get("summary", "")).split())
            if summary:
                lines.append(f"      -> {summary[:300]}")
        if len(v["nodes"]) > max_nodes:
            lines.append(f"    … and {len(v['nodes']) - max_nodes} more")
    return "\n".join(lines)


def _context(selectors: Iterable[Any] | None) -> list[Any] | None:
    if selectors is None:
        return None
    out = [s if isinstance(s, str) else list(s) for s in selectors]
    return out or None

