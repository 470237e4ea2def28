"""The report: its data (:func:`build_report`), written as self-contained HTML, JSON and CSV.

The HTML needs no network: figures and typeset answers are inline SVG images (``data:`` URIs), and its
Content-Security-Policy allows nothing else (no script, no request). Every text a student wrote is escaped.

>>> "<b>" in page_text("<b>x</b>")
False
"""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path

from . import plots
from .compare import compare_with
from .groups import wrong_answer_groups
from .records import CATEGORIES
from .stats import (diagnoses, mistakes_together, score_distribution, step_counts, step_quality,
                    parameter_difficulty, variant_difficulty)

SHOWN_GROUPS = 8  # wrong-answer groups typeset per step in the HTML (all are in the JSON)
SHOWN_PAIRS = 10  # pairs of steps listed under "mistakes that go together"
SHOWN_VARIANTS = 12  # a quiz question's variants listed one per row in the HTML; with more, per parameter value
SHOWN_VALUES = 20  # a parameter's values listed one per row (a parameter with more is in the JSON only)
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def build_report(records, equal=None) -> dict:
    """Everything the report says about ``records``, as plain data (the JSON file)."""
    counts, named, quality = step_counts(records), diagnoses(records), step_quality(records)
    groups = wrong_answer_groups(records, equal)
    variants, parameters = variant_difficulty(records), parameter_difficulty(records)
    table = records.by_student()
    return {
        "assignment": records.assignment,
        "scores": score_distribution(records),
        "steps": [{"step": step, "title": title, "max_points": top, "counts": counts[step],
                   "diagnoses": dict(named[step].most_common()), **quality[step],
                   "wrong_answers": [g.to_dict() for g in groups.get(step, [])],
                   "variants": variants.get(step, {}), "by_parameter": parameters.get(step, {})}
                  for step, title, top in records.steps],
        "mistakes_together": [{"steps": [a, b], "students_wrong_on_both": n, "phi": phi}
                              for a, b, n, phi in mistakes_together(records)],
        "students": {s: {"score": records.scores[s],
                         "steps": {step: {"points": o.verdict.get("points"), "outcome": o.category}
                                   for step, o in table.get(s, {}).items()}}
                     for s in sorted(records.scores)},
        "not_read": dict(sorted(records.unread.items())),
    }


def write_json(report: dict, path) -> Path:
    Path(path).write_text(json.dumps(report, indent=1, sort_keys=False), encoding="utf-8")
    return Path(path)


def write_csv(report: dict, path) -> Path:
    """One row per step: the counts, difficulty, discrimination, the commonest diagnosis and wrong answer."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["step", "max_points", "answered", *CATEGORIES, "difficulty", "discrimination",
                         "upper_lower", "top_diagnosis", "top_wrong_answer", "top_wrong_count"])
        for s in report["steps"]:
            top_dx = next(iter(s["diagnoses"]), "")
            top = s["wrong_answers"][0] if s["wrong_answers"] else {"answer": "", "count": ""}
            writer.writerow([s["step"], s["max_points"], s["counts"]["answered"],
                             *(s["counts"][c] for c in CATEGORIES), s["difficulty"], s["discrimination"],
                             s["upper_lower"], top_dx, top["answer"], top["count"]])
    return Path(path)


def page_text(text) -> str:
    """``text`` escaped for HTML (student answers and feedback are hostile)."""
    return html.escape(str(text), quote=True)


def _math(answer: str, latex: str | None) -> str:
    uri = plots.math_svg_uri(latex) if latex else None
    code = f"<code>{page_text(answer)}</code>"
    return (f'<img class="math" src="{uri}" alt="{page_text(answer)}"> {code}' if uri else code)


def _count_changes(before: dict, now: dict) -> str:
    """A step's counts that differ between two reports, as "wrong 2 → 5"; "unchanged" when none does.

    >>> _count_changes({"right": 3, "wrong": 1}, {"right": 1, "wrong": 3, "empty": 0})
    'right 3 → 1, wrong 1 → 3'
    """
    changed = [f"{k.replace('_', '-')} {before.get(k, 0)} → {now.get(k, 0)}" for k in CATEGORIES
               if before.get(k, 0) != now.get(k, 0)]
    return ", ".join(changed) or "unchanged"


def _score(score) -> str:
    return "—" if score is None else f"{score:g}"  # — : the student was not in that report


def _before_section(report: dict) -> str:
    """Before → now at a glance (with ``--compare``): the steps whose counts moved, the students whose score did."""
    if "score_changes" not in report:
        return ""
    steps = "".join(f"<li>{page_text(s['title'])}: {_count_changes(s['before'], s['counts'])}</li>"
                    for s in report["steps"] if s.get("before") is not None)
    missing = [s["step"] for s in report["steps"] if s.get("before") is None]
    scores = ", ".join(f"{page_text(st)} {_score(c['before'])} → {_score(c['now'])}"
                       for st, c in report["score_changes"].items())
    return ("<h2>Before → now</h2><p>Against the earlier report given with <code>--compare</code>.</p>"
            f"<ul>{steps}</ul>"
            + (f"<p>Steps not in the earlier report: {page_text(', '.join(missing))}.</p>" if missing else "")
            + f"<p>Scores changed for {len(report['score_changes'])} student(s){': ' + scores if scores else '.'}</p>")


def _difficulty_table(heading: str, rows: dict) -> str:
    """{label: {students, right}} as a table with each row's share right."""
    return (f"<table><tr><th>{page_text(heading)}</th><th>students</th><th>right</th><th>share right</th></tr>"
            + "".join(f"<tr><td>{page_text(label)}</td><td>{c['students']}</td><td>{c['right']}</td>"
                      f"<td>{c['right'] / c['students']:.2f}</td></tr>" for label, c in rows.items()) + "</table>")


def _variant_tables(s: dict) -> str:
    """A quiz question's difficulty per variant (is one harder?); with more variants than ``SHOWN_VARIANTS``, per
    value of each parameter instead (those with at most ``SHOWN_VALUES`` values), every variant in the JSON."""
    if not s.get("variants"):
        return ""
    if len(s["variants"]) <= SHOWN_VARIANTS:
        return "<p>Per variant (is one harder?):</p>" + _difficulty_table("variant", s["variants"])
    shown = {name: values for name, values in s.get("by_parameter", {}).items() if len(values) <= SHOWN_VALUES}
    return (f"<p>{len(s['variants'])} variants, too many to compare one by one (each is in the JSON); "
            "per value of each parameter (is one value harder?):</p>"
            + "".join(_difficulty_table(name, values) for name, values in shown.items()))


def _step_section(s: dict) -> str:
    c = s["counts"]
    cells = "".join(f"<td>{c[k]}</td>" for k in ("answered", *CATEGORIES))
    diag = ", ".join(f"{page_text(k.replace('_', ' '))}: {v}" for k, v in s["diagnoses"].items()) or "none"
    rows = []
    for g in s["wrong_answers"][:SHOWN_GROUPS]:
        feedback = "<br>".join(f"{page_text(f)} <span class=\"n\">(×{n})</span>" for f, n in g["feedback"].items())
        forms = len(g["forms"])
        rows.append(f"<tr><td>{g['count']}</td><td>{_math(g['answer'], g['latex'])}"
                    + (f"<br><small>for the variant {page_text(g['variant'])}</small>" if g.get("variant") else "")
                    + (f"<br><small>{forms} forms equal to it</small>" if forms > 1 else "")
                    + f"</td><td>{page_text((g['diagnosis'] or '—').replace('_', ' '))}</td>"
                    f"<td class=fb>{feedback}</td></tr>")
    more = len(s["wrong_answers"]) - SHOWN_GROUPS
    groups = ("<table><tr><th>students</th><th>wrong answer</th><th>diagnosis</th><th>feedback they read</th></tr>"
              + "".join(rows) + "</table>"
              + (f"<p>{more} more distinct wrong answers in the JSON.</p>" if more > 0 else "")) if rows else \
        "<p>No wrong answer recorded.</p>"
    if s.get("before"):
        groups = f"<p>Before (the earlier report): {_count_changes(s['before'], c)}</p>" + groups
    groups += _variant_tables(s)
    return (f"<section id='step-{page_text(s['step'])}'><h3>{page_text(s['title'])} <small>({page_text(s['step'])},"
            f" {s['max_points']:g} pts)</small></h3>"
            f"<table><tr>{''.join(f'<th>{k.replace(chr(95), chr(45))}</th>' for k in ('answered', *CATEGORIES))}"
            f"</tr><tr>{cells}</tr></table>"
            f"<p>Share right: {s['difficulty']} · discrimination (item-rest r): {s['discrimination']} · "
            f"upper − lower third: {s['upper_lower']}</p><p>Diagnoses: {diag}</p>{groups}</section>")


def write_html(report: dict, records, path) -> Path:
    """The self-contained HTML page of ``report`` (``records`` for the figures that need every student)."""
    table = records.by_student()
    ranked = sorted(table, key=lambda st: -records.scores.get(st, 0))
    counts = {s["step"]: s["counts"] for s in report["steps"]}
    quality = {s["step"]: s for s in report["steps"]}
    pairs = [(p["steps"][0], p["steps"][1], p["students_wrong_on_both"], p["phi"])
             for p in report["mistakes_together"]]
    d = report["scores"]
    figure = '<img class="fig" alt="{}" src="{}">'.format
    together = "".join(f"<li>{page_text(a)} and {page_text(b)}: {n} students wrong on both (phi {phi})</li>"
                       for a, b, n, phi in [p for p in pairs if p[3] > 0][:SHOWN_PAIRS]) or "<li>none</li>"
    unread = "".join(f"<li>{page_text(st)}: {page_text(why)}</li>" for st, why in report["not_read"].items())
    body = f"""
<h1>{page_text(report['assignment'])}: what the class got wrong</h1>
<p>{d['students']} submissions in the gradebook; scores out of {d['max_score']:g}: min {d.get('min', '—')},
median {d.get('median', '—')}, mean {d.get('mean', '—')}, max {d.get('max', '—')}.
Verdicts read from {len(table)} sealed autograded notebooks (no kernel, no regrading).</p>
{f'<p>Not counted per step (gradebook score only):</p><ul>{unread}</ul>' if unread else ''}
{_before_section(report)}
<h2>Scores</h2>{figure('score histogram', plots.score_histogram(list(records.scores.values()), d['max_score']))}
<h2>Outcome per step</h2>{figure('outcome per step', plots.outcome_bars(records.steps, counts))}
<h2>Difficulty and discrimination</h2>
<p>A step near the top separates strong students from weak ones; near zero or below, it does not.</p>
{figure('difficulty against discrimination', plots.quality_scatter(quality))}
<h2>Students × steps</h2>{figure('heat map', plots.heat_map(ranked, records.steps, table))}
<h2>Mistakes that go together</h2><ul>{together}</ul>
{figure('mistakes together', plots.together_map(records.steps, pairs)) if len(records.steps) > 1 else ''}
<h2>Per step: the wrong answers and why</h2>
{''.join(_step_section(s) for s in report['steps'])}
"""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>{page_text(report['assignment'])}: class report</title>
<style>
body {{ font-family: sans-serif; max-width: 70rem; margin: 1rem auto; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; margin: .5rem 0; }} td, th {{ border: 1px solid #ccc; padding: .2rem .5rem; }}
img.fig {{ max-width: 100%; display: block; }} img.math {{ vertical-align: middle; }}
td.fb {{ font-size: .85rem; }} .n {{ color: #666; }} section {{ margin-bottom: 2rem; }}
</style></head><body>{body}</body></html>
"""
    Path(path).write_text(page, encoding="utf-8")
    return Path(path)


def write_report(records, out_dir, formats=("html", "json", "csv"), equal=None, before=None) -> list:
    """Write ``<assignment>-report.{html,json,csv}`` (those of ``formats``) into ``out_dir``; return the paths.
    ``before``: an earlier report's JSON data, to show each step's counts then beside now (a regrade's effect)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = build_report(records, equal)
    if before is not None:
        compare_with(report, before)
    base = out / f"{records.assignment}-report"
    written = []
    if "html" in formats:
        written.append(write_html(report, records, base.with_suffix(".html")))
    if "json" in formats:
        written.append(write_json(report, base.with_suffix(".json")))
    if "csv" in formats:
        written.append(write_csv(report, base.with_suffix(".csv")))
    return written
