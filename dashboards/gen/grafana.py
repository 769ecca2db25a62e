"""Builders for Grafana dashboards as plain dictionaries.

Every dashboard of dashboards/ is made with these: a datasource variable
that every panel and target uses, query variables from label_values, and
panels laid out left to right on Grafana's 24-column grid, each with its
unit. Nothing here knows virtmeter's metrics; the dashboard modules do.
"""

SCHEMA_VERSION = 41  # Grafana 12's dashboard schema
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
GRID_WIDTH = 24

# Value mappings of a 0/1 health gauge.
UP_MAPPINGS = [
    {
        "type": "value",
        "options": {
            "0": {"text": "down", "color": "red", "index": 0},
            "1": {"text": "up", "color": "green", "index": 1},
        },
    }
]


def datasource_variable():
    """The variable that picks the Prometheus data source of every panel."""
    return {
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        "current": {},
        "hide": 0,
        "includeAll": False,
        "multi": False,
        "refresh": 1,
        "regex": "",
        "skipUrlSync": False,
    }


def query_variable(name, label, selector, what):
    """A multi-value variable NAME listing the values of LABEL on the series
    SELECTOR (label_values), "All" matching every value; WHAT is its label
    in Grafana's variable bar."""
    query = "label_values(%s, %s)" % (selector, label)
    return {
        "name": name,
        "label": what,
        "type": "query",
        "datasource": dict(DATASOURCE),
        "definition": query,
        "query": {"qryType": 1, "query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "hide": 0,
        "includeAll": True,
        "allValue": ".+",
        "multi": True,
        "refresh": 2,
        "regex": "",
        "sort": 1,
        "skipUrlSync": False,
    }


def target(expr, legend="", instant=False, interval=None):
    """One Prometheus query of a panel: EXPR, its legend template, and
    whether it is an instant query; INTERVAL sets the query's minimum step
    (a bar per day with "1d")."""
    t = {
        "datasource": dict(DATASOURCE),
        "expr": expr,
        "legendFormat": legend or "__auto",
        "range": not instant,
        "instant": instant,
        "editorMode": "code",
    }
    if interval:
        t["interval"] = interval
    return t


def _panel(kind, title, unit, targets, description, options, custom=None, extra=None):
    """The fields every panel has: its type, title, description, datasource,
    targets (given refIds A, B, ... in order) and unit."""
    defaults = {"unit": unit, "color": {"mode": "palette-classic"}}
    if custom is not None:
        defaults["custom"] = custom
    if extra:
        defaults.update(extra)
    for i, t in enumerate(targets):
        t["refId"] = chr(ord("A") + i)
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": dict(DATASOURCE),
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options,
    }


def timeseries(title, unit, targets, description, stack=False, bars=False, thresholds=None):
    """A time series panel, its axis from 0 unless a value is below. STACK
    stacks the series (parts of a whole), BARS draws bars (energy per day),
    THRESHOLDS [(value, color)...] draws them as dashed lines."""
    custom = {
        "drawStyle": "bars" if bars else "line",
        "lineWidth": 1,
        "fillOpacity": 80 if bars else (30 if stack else 10),
        "showPoints": "never",
        "spanNulls": False,
        "stacking": {"mode": "normal" if stack else "none", "group": "A"},
        "axisSoftMin": 0,
    }
    extra = {}
    if thresholds:
        custom["thresholdsStyle"] = {"mode": "dashed"}
        extra["thresholds"] = _thresholds(thresholds)
    options = {
        "legend": {"displayMode": "table", "placement": "bottom", "showLegend": True, "calcs": ["mean", "max", "lastNotNull"]},
        "tooltip": {"mode": "multi", "sort": "desc"},
    }
    return _panel("timeseries", title, unit, targets, description, options, custom, extra)


def _thresholds(steps):
    """Grafana's absolute thresholds: green below the first value, then the
    color of each (value, color) from that value up."""
    out = [{"color": "green", "value": None}]
    out += [{"color": c, "value": v} for v, c in steps]
    return {"mode": "absolute", "steps": out}


def stat(title, unit, targets, description, mappings=None, thresholds=None, text="value_and_name"):
    """A stat panel showing each series' last value (or, with TEXT "name",
    its legend alone: for info series); MAPPINGS turn values into words."""
    extra = {"thresholds": _thresholds(thresholds or [])}
    if mappings:
        extra["mappings"] = mappings
    options = {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "colorMode": "background" if (mappings or thresholds) else "none",
        "graphMode": "none",
        "justifyMode": "auto",
        "orientation": "auto",
        "textMode": text,
        "wideLayout": True,
        "showPercentChange": False,
    }
    return _panel("stat", title, unit, targets, description, options, extra=extra)


def bargauge(title, unit, targets, description):
    """Horizontal bars of each series' last value, largest first (top-N
    lists from instant queries)."""
    options = {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "orientation": "horizontal",
        "displayMode": "gradient",
        "valueMode": "color",
        "showUnfilled": True,
        "namePlacement": "auto",
        "sizing": "auto",
        "minVizHeight": 16,
        "minVizWidth": 8,
        "maxVizHeight": 300,
    }
    extra = {"thresholds": _thresholds([]), "min": 0}
    panel = _panel("bargauge", title, unit, targets, description, options, extra=extra)
    panel["fieldConfig"]["defaults"]["color"] = {"mode": "continuous-GrYlRd"}
    return panel


def dashboard(uid, title, description, variables, rows):
    """A dashboard: ROWS is a list of lists of (width, height, panel); each
    inner list starts on a new line and is laid out left to right,
    wrapping when the next panel would pass the grid's 24 columns. Panel
    ids are given in layout order."""
    panels = []
    y = 0
    for row in rows:
        x = 0
        height = 0
        for w, h, p in row:
            if x + w > GRID_WIDTH:
                x, y, height = 0, y + height, 0
            p = dict(p)
            p["id"] = len(panels) + 1
            p["gridPos"] = {"h": h, "w": w, "x": x, "y": y}
            panels.append(p)
            x += w
            height = max(height, h)
        y += height
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["virtmeter"],
        "id": None,
        "editable": True,
        "graphTooltip": 1,
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "refresh": "30s",
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "timezone": "",
        "weekStart": "",
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                }
            ]
        },
        "links": [
            {
                "type": "dashboards",
                "tags": ["virtmeter"],
                "asDropdown": True,
                "includeVars": True,
                "keepTime": True,
                "title": "virtmeter",
                "icon": "external link",
                "tooltip": "",
                "url": "",
                "targetBlank": False,
            }
        ],
        "templating": {"list": [datasource_variable()] + variables},
        "panels": panels,
    }
