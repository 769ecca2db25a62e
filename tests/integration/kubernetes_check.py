#!/usr/bin/python3
"""Checks of deploy/kubernetes/ for tests/integration/kubernetes.sh.

    kubernetes_check.py types FILE...          every document against its API type
    kubernetes_check.py refs FILE...           names that refer to each other agree
    kubernetes_check.py caps DAEMONSET UNIT    the capabilities against the unit's
    kubernetes_check.py groups RULE FILE...    the PrometheusRule's groups are the files'
    kubernetes_check.py extract RULE           its spec as a Prometheus rule file
    kubernetes_check.py packages CONTAINERFILE the runtime stage's Debian packages

Each command prints one line per problem and exits 1 if there is any.
Kubernetes' own kinds are checked against the models of the official
Python client (Debian: python3-kubernetes), walked field by field: the
client's deserializer ignores a key it does not know, so the walk
rejects unknown keys and wrong types itself, then the deserializer builds
the model, which refuses a missing required field. The Prometheus
Operator's kinds, which the client lacks and Debian does not ship, are
checked against CRD_SCHEMAS below.
"""

import re
import sys

import yaml

# ---- the Prometheus Operator's kinds ----------------------------------------
# A transcription of the fields this tree uses (and their close
# neighbours) from the monitoring.coreos.com/v1 CustomResourceDefinitions
# of prometheus-operator (ServiceMonitor, PrometheusRule): not the whole
# schema. A type is "str", "int", "bool", "duration" (the CRDs' Duration
# pattern), "int-or-str", ("enum", values...), ("list", TYPE),
# ("map", TYPE) for string keys, or a dict of field: TYPE; a field whose
# name ends in "!" is required.
DURATION = re.compile(r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?"
                      r"(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$")
METADATA = {"name!": "str", "namespace": "str", "labels": ("map", "str"),
            "annotations": ("map", "str")}
LABEL_SELECTOR = {
    "matchLabels": ("map", "str"),
    "matchExpressions": ("list", {"key!": "str", "operator!": "str", "values": ("list", "str")}),
}
RELABEL = {
    "sourceLabels": ("list", "str"), "separator": "str", "targetLabel": "str",
    "regex": "str", "modulus": "int", "replacement": "str",
    "action": ("enum", "replace", "Replace", "keep", "Keep", "drop", "Drop",
               "hashmod", "HashMod", "labelmap", "LabelMap", "labeldrop",
               "LabelDrop", "labelkeep", "LabelKeep", "lowercase", "Lowercase",
               "uppercase", "Uppercase", "keepequal", "KeepEqual", "dropequal",
               "DropEqual"),
}
ENDPOINT = {
    "port": "str", "targetPort": "int-or-str", "path": "str",
    "scheme": ("enum", "http", "https"), "params": ("map", ("list", "str")),
    "interval": "duration", "scrapeTimeout": "duration",
    "honorLabels": "bool", "honorTimestamps": "bool",
    "relabelings": ("list", RELABEL), "metricRelabelings": ("list", RELABEL),
}
RULE = {
    "record": "str", "alert": "str", "expr!": "int-or-str", "for": "duration",
    "keep_firing_for": "duration", "labels": ("map", "str"),
    "annotations": ("map", "str"),
}
CRD_SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): {
        "apiVersion!": "str", "kind!": "str", "metadata!": METADATA,
        "spec!": {
            "selector!": LABEL_SELECTOR,
            "endpoints": ("list", ENDPOINT),
            "namespaceSelector": {"any": "bool", "matchNames": ("list", "str")},
            "jobLabel": "str", "targetLabels": ("list", "str"),
            "podTargetLabels": ("list", "str"), "sampleLimit": "int",
        },
    },
    ("monitoring.coreos.com/v1", "PrometheusRule"): {
        "apiVersion!": "str", "kind!": "str", "metadata!": METADATA,
        "spec!": {
            "groups": ("list", {
                "name!": "str", "interval": "duration", "limit": "int",
                "partial_response_strategy": "str", "rules": ("list", RULE),
            }),
        },
    },
}


def check_crd(value, schema, where, out):
    """Appends to OUT a line for each place where VALUE departs from
    SCHEMA (see CRD_SCHEMAS); WHERE is its path in the document."""
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            out.append("%s: expected an object, got %r" % (where, value))
            return
        fields = {k.rstrip("!"): t for k, t in schema.items()}
        for key in sorted(k.rstrip("!") for k in schema if k.endswith("!")):
            if key not in value:
                out.append("%s: required field %s missing" % (where, key))
        for key, val in value.items():
            if key not in fields:
                out.append("%s.%s: unknown field" % (where, key))
            else:
                check_crd(val, fields[key], "%s.%s" % (where, key), out)
    elif isinstance(schema, tuple) and schema[0] == "list":
        if not isinstance(value, list):
            out.append("%s: expected a list, got %r" % (where, value))
            return
        for i, item in enumerate(value):
            check_crd(item, schema[1], "%s[%d]" % (where, i), out)
    elif isinstance(schema, tuple) and schema[0] == "map":
        if not isinstance(value, dict):
            out.append("%s: expected a map, got %r" % (where, value))
            return
        for key, val in value.items():
            check_crd(val, schema[1], "%s.%s" % (where, key), out)
    elif isinstance(schema, tuple) and schema[0] == "enum":
        if value not in schema[1:]:
            out.append("%s: %r is not one of %s" % (where, value, ", ".join(schema[1:])))
    elif not scalar_ok(value, schema):
        out.append("%s: expected %s, got %r" % (where, schema, value))


def scalar_ok(value, kind):
    """Whether VALUE is a scalar of KIND (a name of CRD_SCHEMAS or of the
    client's openapi_types)."""
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "duration":
        return isinstance(value, str) and DURATION.match(value) is not None
    if kind == "int-or-str":
        return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    if kind in ("datetime", "date"):
        return isinstance(value, str)
    return False


# ---- Kubernetes' own kinds --------------------------------------------------------------
def model_class(api_version, kind):
    """The client's model class of apiVersion/kind, or None."""
    import kubernetes.client as kc

    version = api_version.split("/")[-1]
    return getattr(kc, version[:1].upper() + version[1:] + kind, None)


def walk_model(value, type_name, where, out):
    """Appends to OUT a line for each key of VALUE that the model (or
    openapi type) TYPE_NAME does not have and each value of the wrong
    type, recursively."""
    import kubernetes.client as kc

    m = re.match(r"^list\[(.*)\]$", type_name)
    if m:
        if not isinstance(value, list):
            out.append("%s: expected a list, got %r" % (where, value))
            return
        for i, item in enumerate(value):
            walk_model(item, m.group(1), "%s[%d]" % (where, i), out)
        return
    m = re.match(r"^dict\(([^,]*), (.*)\)$", type_name)
    if m:
        if not isinstance(value, dict):
            out.append("%s: expected a map, got %r" % (where, value))
            return
        for key, val in value.items():
            walk_model(val, m.group(2), "%s.%s" % (where, key), out)
        return
    if type_name == "object":
        # IntOrString (ports, maxUnavailable) and free-form fields.
        if not isinstance(value, (str, int, dict, list)) or isinstance(value, bool):
            out.append("%s: expected an int or a string, got %r" % (where, value))
        return
    cls = getattr(kc, type_name, None)
    if cls is None:
        if not scalar_ok(value, type_name):
            out.append("%s: expected %s, got %r" % (where, type_name, value))
        return
    if not isinstance(value, dict):
        out.append("%s: expected a %s object, got %r" % (where, type_name, value))
        return
    by_json = {json_key: attr for attr, json_key in cls.attribute_map.items()}
    for key, val in value.items():
        if key not in by_json:
            out.append("%s.%s: unknown field of %s" % (where, key, type_name))
        else:
            walk_model(val, cls.openapi_types[by_json[key]], "%s.%s" % (where, key), out)


def deserialize(doc, cls_name, where, out):
    """Builds the model CLS_NAME from DOC with the client's own
    deserializer, which refuses a missing required field or a value
    outside an enum; appends the error to OUT."""
    import kubernetes.client as kc

    client = kc.ApiClient()
    try:
        client._ApiClient__deserialize(doc, cls_name)
    except (ValueError, TypeError) as e:
        out.append("%s: %s" % (where, e))


def check_types(paths):
    """Every document of PATHS against its kind's type."""
    out = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        for n, doc in enumerate(docs):
            where = "%s[%d]" % (path, n)
            if not isinstance(doc, dict) or "apiVersion" not in doc or "kind" not in doc:
                out.append("%s: not a Kubernetes object (no apiVersion or kind)" % where)
                continue
            key = (doc["apiVersion"], doc["kind"])
            if key in CRD_SCHEMAS:
                check_crd(doc, CRD_SCHEMAS[key], "%s %s" % (where, doc["kind"]), out)
                continue
            if key == ("kustomize.config.k8s.io/v1beta1", "Kustomization"):
                continue
            cls = model_class(*key)
            if cls is None:
                out.append("%s: no API type known for %s %s" % (where, *key))
                continue
            before = len(out)
            walk_model(doc, cls.__name__, "%s %s" % (where, doc["kind"]), out)
            if len(out) == before:
                deserialize(doc, cls.__name__, "%s %s" % (where, doc["kind"]), out)
    return out


# ---- what refers to what ---------------------------------------------------------------
def load_kinds(paths):
    """{kind: document} of the documents of PATHS (one of each kind)."""
    kinds = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if isinstance(doc, dict) and "kind" in doc:
                    kinds[doc["kind"]] = doc
    return kinds


def selects(selector, labels):
    """Whether matchLabels SELECTOR picks LABELS."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_refs(paths):
    """The names that the manifests give each other agree: the
    DaemonSet's selector, volumes, ports and service account; the
    Service's selector and target port; the ServiceMonitor's selector
    and port."""
    out = []
    k = load_kinds(paths)
    for kind in ("DaemonSet", "Service", "ServiceMonitor", "ServiceAccount"):
        if kind not in k:
            out.append("no %s among the manifests" % kind)
    if out:
        return out
    ds, svc, sm = k["DaemonSet"], k["Service"], k["ServiceMonitor"]
    pod = ds["spec"]["template"]
    labels = pod["metadata"].get("labels", {})
    if not selects(ds["spec"]["selector"].get("matchLabels"), labels):
        out.append("DaemonSet: its selector does not pick its pods' labels %s" % labels)
    if pod["spec"].get("serviceAccountName") != k["ServiceAccount"]["metadata"]["name"]:
        out.append("DaemonSet: serviceAccountName is not the ServiceAccount's name")
    volumes = {v["name"] for v in pod["spec"].get("volumes", [])}
    ports = set()
    for c in pod["spec"]["containers"]:
        ports |= {p.get("name") for p in c.get("ports", [])}
        for m in c.get("volumeMounts", []):
            if m["name"] not in volumes:
                out.append("DaemonSet: container %s mounts volume %s, which is not defined" % (c["name"], m["name"]))
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            port = c.get(probe, {}).get("httpGet", {}).get("port")
            if isinstance(port, str) and port not in ports:
                out.append("DaemonSet: %s port %s is no container port" % (probe, port))
    if not selects(svc["spec"].get("selector"), labels):
        out.append("Service: its selector does not pick the DaemonSet's pods")
    for p in svc["spec"]["ports"]:
        if isinstance(p.get("targetPort"), str) and p["targetPort"] not in ports:
            out.append("Service: targetPort %s is no container port" % p["targetPort"])
    if not selects(sm["spec"]["selector"].get("matchLabels"), svc["metadata"].get("labels", {})):
        out.append("ServiceMonitor: its selector does not pick the Service")
    svc_ports = {p.get("name") for p in svc["spec"]["ports"]}
    for e in sm["spec"].get("endpoints", []):
        if e.get("port") not in svc_ports:
            out.append("ServiceMonitor: endpoint port %s is no port of the Service" % e.get("port"))
    return out


# ---- capabilities, rules, packages -----------------------------------------------------------
# What --runas needs at the start and gives up before any collector runs
# (exporter/runas.c): the user's groups and ids, the bounding set, the
# storage directory given to the user.
RUNAS_CAPS = {"SETUID", "SETGID", "SETPCAP", "CHOWN"}


def check_caps(ds_path, unit_path):
    """The DaemonSet's added capabilities are the unit's (ambient and
    bounding) plus RUNAS_CAPS, with every other dropped, and --runas is
    given; the container is not privileged."""
    out = []
    unit = {}
    with open(unit_path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^(AmbientCapabilities|CapabilityBoundingSet)=(.*)$", line.strip())
            if m:
                unit[m.group(1)] = {c[len("CAP_"):] for c in m.group(2).split()}
    if unit.get("AmbientCapabilities") != unit.get("CapabilityBoundingSet") or not unit.get("AmbientCapabilities"):
        out.append("%s: AmbientCapabilities and CapabilityBoundingSet differ or are missing" % unit_path)
        return out
    want = unit["AmbientCapabilities"] | RUNAS_CAPS
    ds = load_kinds([ds_path])["DaemonSet"]
    for c in ds["spec"]["template"]["spec"]["containers"]:
        sc = c.get("securityContext", {})
        caps = sc.get("capabilities", {})
        got = set(caps.get("add", []))
        if got != want:
            out.append("container %s adds %s; the unit's and --runas's are %s (more: %s, fewer: %s)" % (
                c["name"], " ".join(sorted(got)), " ".join(sorted(want)),
                " ".join(sorted(got - want)) or "none", " ".join(sorted(want - got)) or "none"))
        if caps.get("drop") != ["ALL"]:
            out.append("container %s does not drop ALL capabilities" % c["name"])
        if sc.get("privileged", False):
            out.append("container %s is privileged" % c["name"])
        if sc.get("allowPrivilegeEscalation", True):
            out.append("container %s allows privilege escalation" % c["name"])
        if not any(a.startswith("--runas=") for a in c.get("args", [])):
            out.append("container %s does not give --runas: it would keep %s" % (
                c["name"], " ".join(sorted(RUNAS_CAPS))))
    return out


def rule_groups(rule_path):
    """The spec.groups of the PrometheusRule at RULE_PATH."""
    return load_kinds([rule_path])["PrometheusRule"]["spec"]["groups"]


def check_groups(rule_path, files):
    """The PrometheusRule's groups are those of FILES, in order."""
    want = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            want.extend(yaml.safe_load(f)["groups"])
    got = rule_groups(rule_path)
    if got == want:
        return []
    out = []
    names = [g.get("name") for g in got]
    for g in want:
        if g["name"] not in names:
            out.append("group %s of the rule files is missing" % g["name"])
        elif g != got[names.index(g["name"])]:
            out.append("group %s differs from the rule files'" % g["name"])
    for name in names:
        if name not in [g["name"] for g in want]:
            out.append("group %s is in no rule file" % name)
    return out or ["the groups are those of the rule files, in another order"]


def containerfile_packages(path):
    """The packages that the last stage of the Containerfile at PATH
    installs with apt-get install."""
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"\\\n", " ", f.read())
    stages = re.split(r"(?m)^FROM\s", text)
    pkgs = []
    for line in stages[-1].splitlines():
        if not line.startswith("RUN "):
            continue
        for cmd in line[4:].split("&&"):
            words = cmd.split()
            if "apt-get" in words and "install" in words:
                pkgs += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return pkgs


def main(argv):
    """Runs one command of the module's docstring."""
    cmd, args = argv[1], argv[2:]
    if cmd == "types":
        out = check_types(args)
    elif cmd == "refs":
        out = check_refs(args)
    elif cmd == "caps":
        out = check_caps(args[0], args[1])
    elif cmd == "groups":
        out = check_groups(args[0], args[1:])
    elif cmd == "extract":
        yaml.safe_dump({"groups": rule_groups(args[0])}, sys.stdout, sort_keys=False)
        return 0
    elif cmd == "packages":
        pkgs = containerfile_packages(args[0])
        print(" ".join(pkgs))
        return 0 if pkgs else 1
    else:
        print("unknown command %s" % cmd)
        return 2
    for line in out:
        print(line)
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
