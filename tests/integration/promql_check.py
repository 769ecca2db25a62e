#!/usr/bin/env python3
"""Checks of the PromQL that virtmeter ships (Grafana dashboards, Prometheus
rule files and their promtool tests), for tests/integration/dashboards.sh
and rules.sh:

    promql_check.py names DUMP FILE...     every metric and label named exists
    promql_check.py structure JSON...      the dashboards' structure
    promql_check.py exprs FILE...          ORIGIN<TAB>EXPR, ready to run
    promql_check.py signals RULES...       each alert without its thresholds
    promql_check.py coverage RULES TESTS   every rule is tested both ways
    promql_check.py query URL < TSV        run each query against Prometheus

DUMP is the output of `virtmeter --dump-metrics` (name, type, labels, unit,
help, tab-separated). Names are read from the expressions with a small
PromQL lexer: an identifier that is no function, keyword or aggregation is
a metric; the names inside {...} and the lists of by, without, on,
ignoring, group_left and group_right are labels. Each check prints one line
per problem, "ORIGIN: what", and exits 1 if there is any.
"""

import json
import re
import sys

import yaml

# Labels that Prometheus or the scrape configuration put on every series.
TARGET_LABELS = {"instance", "job", "cluster"}
# Prometheus's own series about a scrape that the dashboards read.
PROMETHEUS_SERIES = {
    "up": set(),
    "scrape_duration_seconds": set(),
    "scrape_samples_scraped": set(),
}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan", "atan2", "start", "end"}
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
                "bottomk", "topk", "quantile", "limitk", "limit_ratio"}
FUNCTIONS = {
    "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh", "avg_over_time",
    "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh", "count_over_time", "day_of_month",
    "day_of_week", "day_of_year", "days_in_month", "deg", "delta", "deriv", "exp", "floor",
    "histogram_quantile", "holt_winters", "hour", "idelta", "increase", "irate", "label_join",
    "label_replace", "last_over_time", "ln", "log10", "log2", "max_over_time", "min_over_time", "minute",
    "month", "pi", "predict_linear", "present_over_time", "quantile_over_time", "rad", "rate", "resets",
    "round", "scalar", "sgn", "sin", "sinh", "sort", "sort_desc", "sqrt", "stddev_over_time",
    "stdvar_over_time", "sum_over_time", "tan", "tanh", "time", "timestamp", "vector", "year",
}
# Grafana's variables as the dashboards use them, replaced by what they
# stand for when "All" is picked and a range is shown.
GRAFANA_VARS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h",
                "${datasource}": "prometheus", "$instance": ".+", "$vm": ".+", "$container": ".+"}
TOKEN = re.compile(r"""\s+|\#[^\n]*|(?P<str>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)"""
                   r"""|(?P<num>(?:0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)[a-zA-Z0-9]*)"""
                   r"""|(?P<id>[a-zA-Z_:][a-zA-Z0-9_:]*)|(?P<op>==|!=|>=|<=|=~|!~|[-+*/%^(){}\[\],=<>@:])""")


def tokens(expr):
    """The tokens of EXPR as (kind, text): str (unquoted), num, id, op."""
    out, pos = [], 0
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise ValueError("cannot read %r" % expr[pos:pos + 20])
        pos = m.end()
        kind = m.lastgroup
        if kind == "str":
            out.append(("str", m.group(kind)[1:-1]))
        elif kind:
            out.append((kind, m.group(kind)))
    return out


def closing(toks, i):
    """The index of the bracket closing the one at I."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    want, depth = pairs[toks[i][1]], 0
    for j in range(i, len(toks)):
        if toks[j][0] != "op":
            continue
        if toks[j][1] == toks[i][1]:
            depth += 1
        elif toks[j][1] == want:
            depth -= 1
            if depth == 0:
                return j
    raise ValueError("unbalanced %s" % toks[i][1])


def call_args(toks, i):
    """The string arguments of the call whose "(" is at I: {index: text}."""
    end, depth, arg, out = closing(toks, i), 0, 0, {}
    for kind, text in toks[i + 1:end]:
        if kind == "op" and text in "([{":
            depth += 1
        elif kind == "op" and text in ")]}":
            depth -= 1
        elif kind == "op" and text == "," and depth == 0:
            arg += 1
        elif kind == "str" and depth == 0:
            out[arg] = text
    return out


def analyse(expr):
    """What EXPR names: ([(metric, [matcher labels])], [labels it groups or
    joins by or reads], {labels it makes}, [unknown functions])."""
    toks = tokens(expr)
    metrics, used, made, unknown = [], [], set(), []
    i = 0
    while i < len(toks):
        kind, text = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else ("", "")
        if kind == "op" and text == "[":
            i = closing(toks, i) + 1
            continue
        if kind == "op" and text == "{":
            end = closing(toks, i)
            metrics.append((None, [t for k, t in toks[i + 1:end] if k == "id"]))
            i = end + 1
            continue
        if kind != "id":
            i += 1
            continue
        if text in GROUPING:
            if nxt == ("op", "("):
                end = closing(toks, i + 1)
                used += [t for k, t in toks[i + 2:end] if k == "id"]
                i = end + 1
            else:
                i += 1
            continue
        if text in KEYWORDS:
            i += 1
            continue
        if text in AGGREGATIONS and (nxt == ("op", "(") or nxt[1] in ("by", "without")):
            if text == "count_values" and nxt == ("op", "("):
                made.add(call_args(toks, i + 1).get(0, ""))
            i += 1
            continue
        if nxt == ("op", "("):
            if text not in FUNCTIONS:
                unknown.append(text)
            args = call_args(toks, i + 1)
            if text in ("label_replace", "label_join"):
                made.add(args.get(1, ""))
                used += [v for k, v in args.items() if k >= 3 and (text == "label_join" or k == 3)]
            i += 1
            continue
        labels = []
        if nxt == ("op", "{"):
            end = closing(toks, i + 1)
            body = toks[i + 2:end]
            labels = [t for j, (k, t) in enumerate(body) if k == "id" and (j + 1 < len(body) and body[j + 1][0] == "op")]
            i = end + 1
        else:
            i += 1
        metrics.append((text, labels))
    return metrics, used, made, unknown


def substitute(expr):
    """EXPR with Grafana's variables replaced by what they stand for."""
    for var, value in GRAFANA_VARS.items():
        expr = expr.replace(var, value)
    return expr


def load_dump(path):
    """{family: set of labels} from a --dump-metrics file."""
    fams = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 3:
                fams[cols[0]] = set(filter(None, cols[2].split(",")))
    return fams


def load_yaml(path):
    """A YAML file, parsed."""
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def rules_of(path):
    """(kind, name, rule) of every rule of a rule file: kind record or alert."""
    for group in load_yaml(path).get("groups", []):
        for rule in group.get("rules", []):
            kind = "record" if "record" in rule else "alert"
            yield kind, rule[kind], rule


def label_values(query):
    """(selector, label) of a Grafana label_values(SELECTOR, LABEL) query."""
    m = re.fullmatch(r"\s*label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*", query, re.S)
    if not m:
        raise ValueError("not a label_values(selector, label) query: %r" % query)
    return m.group(1), m.group(2)


def exprs_of(path):
    """(origin, expr, legend or annotation templates, kind) of every query
    of a dashboard, a rule file, or a promtool test file (its input series:
    kind "series")."""
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as f:
            dash = json.load(f)
        for var in dash.get("templating", {}).get("list", []):
            if var.get("type") == "query":
                sel, label = label_values(var.get("definition", ""))
                yield "%s: variable %s" % (path, var["name"]), "count by (%s) (%s)" % (label, sel), "", "variable"
        for p in dash.get("panels", []):
            for t in p.get("targets", []):
                origin = '%s: panel %s "%s" %s' % (path, p.get("id"), p.get("title"), t.get("refId"))
                yield origin, t.get("expr", ""), t.get("legendFormat", ""), "panel"
        return
    doc = load_yaml(path)
    if "tests" in doc:
        for n, test in enumerate(doc["tests"]):
            for s in test.get("input_series", []):
                yield "%s: test %d series" % (path, n + 1), s["series"], "", "series"
        return
    for kind, name, rule in rules_of(path):
        templates = " ".join(list(rule.get("annotations", {}).values()) + list(rule.get("labels", {}).values()))
        yield "%s: %s %s" % (path, kind, name), rule["expr"], templates, kind


def recorded(paths):
    """{recorded name: labels} of the recording rules of PATHS, each the
    union of its inputs' labels (dump families or rules recorded before)."""
    return {name: rule["expr"] for p in paths if not p.endswith(".json") and "tests" not in load_yaml(p)
            for kind, name, rule in rules_of(p) if kind == "record"}


def check_names(dump, paths):
    """Problems with the metric and label names of every query of PATHS."""
    fams = dict(PROMETHEUS_SERIES)
    fams.update(load_dump(dump))
    for name, expr in recorded(paths).items():
        metrics, _, made, _ = analyse(expr)
        fams[name] = set().union(made, *(fams.get(m, set()) for m, _ in metrics if m))
    problems = []
    for path in paths:
        for origin, expr, templates, kind in exprs_of(path):
            try:
                metrics, used, made, unknown = analyse(substitute(expr))
            except ValueError as e:
                problems.append("%s: %s" % (origin, e))
                continue
            known = TARGET_LABELS | made | {"__name__"}
            for m, labels in metrics:
                if m is None:
                    problems.append("%s: a selector without a metric name" % origin)
                    continue
                if m not in fams:
                    problems.append("%s: %s is no metric virtmeter emits" % (origin, m))
                    continue
                known |= fams[m]
                for lab in labels:
                    if lab not in fams[m] | TARGET_LABELS | {"__name__"}:
                        problems.append("%s: %s has no label %s (it has: %s)" % (origin, m, lab, ", ".join(sorted(fams[m])) or "none"))
            for f in unknown:
                problems.append("%s: %s() is no PromQL function" % (origin, f))
            templated = re.findall(r"\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)|\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}", templates)
            for lab in set(used) | {a or b for a, b in templated}:
                if lab not in known:
                    problems.append("%s: label %s is on none of the series it reads" % (origin, lab))
    return problems


KNOWN_UNITS = {"none", "short", "percent", "percentunit", "watt", "kwatt", "watth", "kwatth", "joule", "s", "ms",
               "dtdurations", "dateTimeFromNow", "bytes", "Bps", "hertz", "cps", "ops", "reqps", "iops"}
PANEL_TYPES = {"timeseries", "stat", "bargauge", "gauge", "table"}


def check_structure(paths):
    """Problems with the structure of the dashboards PATHS."""
    problems, uids = [], {}
    want_ds = {"type": "prometheus", "uid": "${datasource}"}
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                dash = json.load(f)
        except ValueError as e:
            problems.append("%s: not valid JSON: %s" % (path, e))
            continue
        uid = dash.get("uid") or ""
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid):
            problems.append("%s: uid %r is not a stable Grafana uid" % (path, uid))
        if uid in uids:
            problems.append("%s: uid %s is also the uid of %s" % (path, uid, uids[uid]))
        uids[uid] = path
        variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
        if variables.get("datasource", {}).get("type") != "datasource" or variables["datasource"].get("query") != "prometheus":
            problems.append("%s: no Prometheus datasource variable named datasource" % path)
        for name, v in variables.items():
            if v.get("type") == "query" and v.get("datasource") != want_ds:
                problems.append("%s: variable %s does not query ${datasource}" % (path, name))
        ids, cells, used = set(), {}, set()
        for p in dash.get("panels", []):
            where = '%s: panel %s "%s"' % (path, p.get("id"), p.get("title"))
            if p.get("id") in ids or not isinstance(p.get("id"), int):
                problems.append("%s: panel id %r is not unique" % (where, p.get("id")))
            ids.add(p.get("id"))
            if p.get("type") not in PANEL_TYPES:
                problems.append("%s: panel type %r" % (where, p.get("type")))
            if p.get("datasource") != want_ds:
                problems.append("%s: its datasource is %r, not the variable" % (where, p.get("datasource")))
            unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit")
            if unit not in KNOWN_UNITS:
                problems.append("%s: unit %r is not set to a Grafana unit" % (where, unit))
            if not p.get("targets") or not p.get("title") or not p.get("description"):
                problems.append("%s: a panel needs a title, a description and targets" % where)
            for t in p.get("targets", []):
                if t.get("datasource") != want_ds:
                    problems.append("%s %s: its datasource is not the variable" % (where, t.get("refId")))
                text = t.get("expr", "") + " " + t.get("legendFormat", "")
                used |= set(re.findall(r"\$\{?(\w+)", text))
            g = p.get("gridPos", {})
            if g.get("x", 0) + g.get("w", 0) > 24 or g.get("w", 0) <= 0 or g.get("h", 0) <= 0:
                problems.append("%s: gridPos %r is off the grid" % (where, g))
            for x in range(g.get("x", 0), g.get("x", 0) + g.get("w", 0)):
                for y in range(g.get("y", 0), g.get("y", 0) + g.get("h", 0)):
                    if (x, y) in cells:
                        problems.append("%s: overlaps panel %s" % (where, cells[(x, y)]))
                        break
                    cells[(x, y)] = p.get("id")
                else:
                    continue
                break
        for v in variables.values():
            used |= set(re.findall(r"\$\{?(\w+)", v.get("definition", "")))
        builtin = {"__rate_interval", "__interval", "__range"}
        for name in sorted(used - set(variables) - builtin):
            problems.append("%s: $%s is used but not defined" % (path, name))
        for name in sorted(set(variables) - used - {"datasource"}):
            problems.append("%s: variable %s is defined but never used" % (path, name))
    return problems


THRESHOLD = re.compile(r"\s*(?:==|!=|>=|<=|>|<)\s*[0-9.]+(?:e[-+]?[0-9]+)?(?![0-9a-zA-Z_])")


def check_coverage(rules, tests):
    """Problems: an alert without a promtool test that fires it and one that
    must not fire, a recording rule no promql_expr_test evaluates, an alert
    without severity, summary or description."""
    problems, fire, quiet, evaluated = [], set(), set(), set()
    for t in load_yaml(tests)["tests"]:
        for a in t.get("alert_rule_test", []):
            (fire if a.get("exp_alerts") else quiet).add(a["alertname"])
        for e in t.get("promql_expr_test", []):
            evaluated.update(m for m, _ in analyse(e["expr"])[0])
    for kind, name, rule in rules_of(rules):
        if kind == "record" and name not in evaluated:
            problems.append("%s: record %s: no promql_expr_test of %s evaluates it" % (rules, name, tests))
        if kind != "alert":
            continue
        for what, have in (("fires it", fire), ("it must not fire", quiet)):
            if name not in have:
                problems.append("%s: alert %s: no alert_rule_test where %s" % (rules, name, what))
        if rule.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
            problems.append("%s: alert %s: no severity label" % (rules, name))
        for a in ("summary", "description"):
            if not rule.get("annotations", {}).get(a):
                problems.append("%s: alert %s: no %s annotation" % (rules, name, a))
    return problems


def run_queries(url):
    """Runs each "ORIGIN<TAB>EXPR" line of stdin as an instant query against
    the Prometheus at URL; prints "ORIGIN<TAB>ok<TAB>SERIES" or
    "ORIGIN<TAB>error<TAB>MESSAGE" for each."""
    import urllib.error
    import urllib.parse
    import urllib.request

    for line in sys.stdin:
        origin, _, expr = line.rstrip("\n").partition("\t")
        query = urllib.parse.urlencode({"query": expr})
        try:
            with urllib.request.urlopen("%s/api/v1/query?%s" % (url, query), timeout=10) as r:
                answer = json.load(r)
        except urllib.error.HTTPError as e:
            answer = json.load(e)
        except (OSError, ValueError) as e:
            answer = {"status": "error", "error": str(e)}
        if answer.get("status") == "success":
            result = answer["data"]["result"]
            print("%s\tok\t%d" % (origin, len(result) if isinstance(result, list) else 1))
        else:
            print("%s\terror\t%s" % (origin, answer.get("error", "?")))


def main(argv):
    """Runs the subcommand of ARGV; prints the problems or the queries."""
    cmd, args = argv[1], argv[2:]
    problems = []
    if cmd == "names":
        problems = check_names(args[0], args[1:])
    elif cmd == "structure":
        problems = check_structure(args)
    elif cmd == "coverage":
        problems = check_coverage(args[0], args[1])
    elif cmd == "query":
        run_queries(args[0])
    elif cmd in ("exprs", "signals"):
        for path in args:
            for origin, expr, _, kind in exprs_of(path):
                if cmd == "signals" and kind != "alert":
                    continue
                if cmd == "signals":
                    expr = THRESHOLD.sub("", expr)
                print("%s\t%s" % (origin, " ".join(substitute(expr).split())))
    else:
        raise SystemExit("usage: promql_check.py names|structure|exprs|signals|coverage|query ARGS...")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
