"""Drawing the map of ideas: one self-contained offline HTML file, a PNG, or terminal text.

The HTML inlines plotly's library (no CDN, no fonts, no requests), escapes
every piece of item text before it reaches the page (plotly renders a subset
of HTML in hover text, so an item titled ``<img src=x onerror=…>`` must arrive
as ``&lt;img…``), opens only http(s) URLs on click, and adds a search box
that dims the points whose title does not match.
"""

from __future__ import annotations

import html
from collections import defaultdict
from pathlib import Path

from rich.text import Text

from .ideamap import IdeaMap

__all__ = ["timeline_html", "timeline_png", "to_html", "to_png", "to_terminal"]

PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac", "#1f77b4", "#d62728"]

_SCRIPT = """
<div style="position:fixed;top:8px;left:8px;z-index:10;font:14px sans-serif">
  <input id="ft-search" placeholder="filter by title…" style="padding:4px;width:240px">
</div>
<script>
(function () {
  var plot = document.getElementsByClassName("plotly-graph-div")[0];
  plot.on("plotly_click", function (event) {
    var url = event.points[0].customdata[0];
    if (/^https?:\\/\\//.test(url)) { window.open(url, "_blank", "noopener"); }
  });
  document.getElementById("ft-search").addEventListener("input", function (e) {
    var q = e.target.value.toLowerCase();
    var opacities = plot.data.map(function (trace) {
      return trace.customdata.map(function (d) { return !q || d[1].toLowerCase().indexOf(q) >= 0 ? 0.9 : 0.08; });
    });
    Plotly.restyle(plot, {"marker.opacity": opacities});
  });
})();
</script>
"""


def _groups(idea: IdeaMap, colour: str = "cluster"):
    """Points by cluster, or by label (``colour="label"``; unlabelled ones together)."""
    groups = defaultdict(list)
    for point in idea.points:
        groups[point.cluster if colour == "cluster" else point.label or "(no label)"].append(point)
    return groups


def to_html(idea: IdeaMap, path: Path, title: str = "ft: the map of your library", colour: str = "cluster") -> Path:
    import plotly.graph_objects as go

    figure = go.Figure()
    for n, (name, points) in enumerate(sorted(_groups(idea, colour).items())):
        hover = [html.escape(f"{p.title}") + "<br>" + html.escape(f"{p.author or ''} · {(p.date or '')[:10]}")
                 + "<br>" + html.escape(p.snippet[:160]) for p in points]
        scatter = go.Scatter if len(idea.points) <= 5000 else go.Scattergl  # WebGL for big libraries
        figure.add_trace(scatter(
            x=[p.x for p in points], y=[p.y for p in points], mode="markers", name=html.escape(name),
            marker={"size": [p.size for p in points], "color": PALETTE[n % len(PALETTE)], "opacity": 0.9},
            hovertext=hover, hoverinfo="text",
            customdata=[[p.url or "", p.title] for p in points],
        ))
    for cluster in idea.clusters:
        figure.add_annotation(x=cluster["x"], y=cluster["y"], text=html.escape(cluster["name"]), showarrow=False,
                              font={"size": 14}, opacity=0.8)
    figure.update_layout(title=html.escape(title), template="plotly_white", xaxis={"visible": False},
                         yaxis={"visible": False}, legend={"title": "topics (click to hide)"})
    page = figure.to_html(include_plotlyjs=True, include_mathjax=False, full_html=True,
                          config={"displaylogo": False})
    path.write_text(page.replace("</body>", _SCRIPT + "</body>"), encoding="utf-8")
    return path


def to_png(idea: IdeaMap, path: Path, title: str = "The map of your library", colour: str = "cluster") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 8), dpi=120)
    for n, (name, points) in enumerate(sorted(_groups(idea, colour).items())):
        ax.scatter([p.x for p in points], [p.y for p in points], s=[p.size ** 2 for p in points],
                   color=PALETTE[n % len(PALETTE)], alpha=0.75, label=f"{name} ({len(points)})", edgecolors="white")
    for cluster in idea.clusters:
        ax.annotate(cluster["name"], (cluster["x"], cluster["y"]), fontsize=12, weight="bold", ha="center",
                    bbox={"boxstyle": "round", "fc": "white", "alpha": 0.7, "lw": 0})
    ax.set_axis_off()
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=9, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def to_terminal(idea: IdeaMap, width: int = 80, height: int = 24) -> Text:
    """A coarse scatter: one character per cell, coloured by cluster, names at the centres."""
    xs = [p.x for p in idea.points]
    ys = [p.y for p in idea.points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    colours = {c["name"]: PALETTE[n % len(PALETTE)] for n, c in enumerate(sorted(idea.clusters, key=lambda c: c["name"]))}

    def cell(x: float, y: float) -> tuple[int, int]:
        col = int((x - x0) / ((x1 - x0) or 1) * (width - 1))
        row = int((y1 - y) / ((y1 - y0) or 1) * (height - 1))
        return row, col

    grid: list[list[tuple[str, str]]] = [[(" ", "")] * width for _ in range(height)]
    for p in idea.points:
        row, col = cell(p.x, p.y)
        grid[row][col] = ("●", colours[p.cluster])
    for c in idea.clusters:
        row, col = cell(c["x"], c["y"])
        for i, ch in enumerate(c["name"][: width - col]):
            grid[row][col + i] = (ch, f"bold {colours[c['name']]}")
    text = Text()
    for row in grid:
        for ch, style in row:
            text.append(ch, style=style or None)
        text.append("\n")
    for c in sorted(idea.clusters, key=lambda c: -c["size"]):
        text.append("● ", style=colours[c["name"]])
        text.append(f"{c['name']} ({c['size']}): {c['description']}\n")
    return text


def timeline_html(counts: dict[str, dict[str, int]], path: Path) -> Path:
    import plotly.graph_objects as go

    months = sorted(counts)
    labels = sorted({label for month in counts.values() for label in month})
    figure = go.Figure([go.Bar(name=html.escape(label), x=months, y=[counts[m].get(label, 0) for m in months])
                        for label in labels])
    figure.update_layout(barmode="stack", title="Topics over time", template="plotly_white")
    path.write_text(figure.to_html(include_plotlyjs=True, include_mathjax=False, full_html=True), encoding="utf-8")
    return path


def timeline_png(counts: dict[str, dict[str, int]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    months = sorted(counts)
    labels = sorted({label for month in counts.values() for label in month})
    fig, ax = plt.subplots(figsize=(11, 5), dpi=120)
    bottom = [0] * len(months)
    for n, label in enumerate(labels):
        values = [counts[m].get(label, 0) for m in months]
        ax.bar(months, values, bottom=bottom, label=label, color=PALETTE[n % len(PALETTE)])
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_title("Topics over time")
    ax.tick_params(axis="x", rotation=45)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
