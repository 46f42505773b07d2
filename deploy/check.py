#!/usr/bin/env python3
"""Checks the deployment files without a container engine or a cluster.

    python3 deploy/check.py                      # static checks (Python 3.11+, PyYAML)
    python3 deploy/check.py --smoke BINARY [--postgres postgres://postgres@127.0.0.1:5432]

Static checks, from the repository itself:
  * every YAML file under deploy/ parses;
  * every MEDIATION__SECTION__KEY named in the manifests, the compose file, the Dockerfile and the
    docs is a setting of crates/gateway/src/settings.rs (the TOML DEFAULTS block, plus the
    optional fields of the section structs, which have no default), except the ones issue #7 is
    adding, which are reported as PENDING until they exist;
  * ports are 50051 everywhere (listen setting, container ports, Services, probes, Envoy);
  * the Kubernetes probes are native gRPC probes on that port; the pods run as the Dockerfile's
    uid, non-root, with a read-only root filesystem and no capabilities;
  * images and commands agree: one image for every `mediation` container, each command a
    subcommand of crates/gateway/src/main.rs and each flag one it declares (`--services`: PENDING
    until it is there); Services, the HPA and the PDB select the Deployments they mean; Envoy's
    upstreams are the compose file's gateway replicas.
  * with `kubernetes-validate` installed: each Kubernetes document against the API schemas of
    1.27 (native gRPC probes are GA there) and the newest known version, strictly (unknown fields
    fail); with `check-jsonschema` installed: compose.yaml against the compose specification.

--smoke BINARY runs a built `mediation` the way the manifests do: the ConfigMap's settings and a
Secret made as examples/secret.yaml says (a fresh `openssl genpkey -algorithm ed25519` key), the
Job's arguments, then the gateway's and the dispatch Deployment's, each probed like the kubelet
does (grpc.health.v1.Health/Check, service ""), then stopped with SIGTERM. Only the listen
address differs (127.0.0.1 and a free port). With --postgres SERVER_URL a scratch database is
created there (psql) and dropped afterwards; without it the database is a temporary SQLite file.

Exit status 0 when nothing FAILed. PENDING lines are expected gaps (issue #7), not failures.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from pathlib import Path
from urllib.parse import urlparse

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("deploy/check.py needs PyYAML: python3 -m pip install pyyaml")

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
SETTINGS_RS = ROOT / "crates/gateway/src/settings.rs"
GATEWAY_SRC = ROOT / "crates/gateway/src"
PORT = 50051
NAMESPACE = "mediation"

# Settings and flags that issue #7 is adding. Named in the files already; reported as PENDING
# while the code does not have them, and checked like the others once it does.
PENDING_SETTINGS = {
    ("upstreams", "dispatch"): "issue #7: forward a service's calls to an upstream",
    ("metrics", "listen"): "issue #7: Prometheus listener",
}
PENDING_FLAGS = {"--services": "issue #7: `serve --services dispatch` runs only those services"}

ENV_NAME = re.compile(r"\bMEDIATION__([A-Z0-9]+(?:_[A-Z0-9]+)*)__([A-Z0-9]+(?:_[A-Z0-9]+)*)\b")

failures: list[str] = []
pendings: list[str] = []
passed = 0
QUIET = "-q" in sys.argv or "--quiet" in sys.argv


def ok(msg: str) -> None:
    global passed
    passed += 1
    if not QUIET:
        print(f"ok       {msg}")


def fail(msg: str) -> None:
    failures.append(msg)
    print(f"FAIL     {msg}")


def pending(msg: str) -> None:
    pendings.append(msg)
    print(f"PENDING  {msg}")


def info(msg: str) -> None:
    print(f"info     {msg}")


def check(cond: bool, msg: str, detail: str = "") -> bool:
    if cond:
        ok(msg)
    else:
        fail(f"{msg}{': ' + detail if detail else ''}")
    return cond


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# ---------------------------------------------------------------------------------------------
# What the code says: settings and command-line
# ---------------------------------------------------------------------------------------------


def rust_block(source: str, header: str) -> str:
    """The body of the first `header { ... }` (braces balanced)."""
    start = source.index(header)
    i = source.index("{", start)
    depth = 0
    for j in range(i, len(source)):
        if source[j] == "{":
            depth += 1
        elif source[j] == "}":
            depth -= 1
            if depth == 0:
                return source[i + 1 : j]
    raise ValueError(f"unbalanced {header}")


def load_settings() -> tuple[dict[str, set[str] | None], set[tuple[str, str]]]:
    """Section -> valid keys (None: any key, a map section), and the (section, key) pairs that
    have a default in the DEFAULTS block."""
    source = SETTINGS_RS.read_text()
    match = re.search(r'const DEFAULTS: &str = r#"(.*?)"#;', source, re.S)
    if not match:
        raise SystemExit(f"no DEFAULTS block in {rel(SETTINGS_RS)}")
    defaults = tomllib.loads(match.group(1))
    with_default = {(section, key) for section, table in defaults.items() for key in table}
    sections: dict[str, set[str] | None] = {s: set(t) for s, t in defaults.items()}
    # Optional settings (auth.signing_key, notifications.path, ...) have no default: they are
    # fields of the section structs. Sections are the fields of `struct Settings`.
    for name, ty in re.findall(r"pub (\w+): ([^,\n]+),", rust_block(source, "pub struct Settings")):
        ty = ty.strip()
        inner = re.sub(r"^Option<(.*)>$", r"\1", ty)
        if re.match(r"(std::collections::)?(HashMap|BTreeMap)<", inner):
            sections[name] = None
            continue
        try:
            body = rust_block(source, f"pub struct {inner} ")
        except ValueError:
            continue
        fields = set(re.findall(r"pub (\w+):", body))
        if sections.get(name, set()) is not None:
            sections[name] = sections.get(name, set()) | fields
    return sections, with_default


def load_cli() -> tuple[set[str], set[str]]:
    """The subcommands of `mediation` and every long flag declared in the gateway crate."""
    main = (GATEWAY_SRC / "main.rs").read_text()
    body = rust_block(main, "enum Command")
    variants = re.findall(r"^    ([A-Z]\w*)\s*(?:\{|\(|,)", body, re.M)
    commands = {re.sub(r"(?<!^)(?=[A-Z])", "-", v).lower() for v in variants}
    flags: set[str] = set()
    for path in GATEWAY_SRC.rglob("*.rs"):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            attr = re.search(r"#\[(?:arg|clap)\((.*)\)\]", line)
            if not attr or not re.search(r"\blong\b", attr.group(1)):
                continue
            explicit = re.search(r'\blong\s*=\s*"([^"]+)"', attr.group(1))
            if explicit:
                flags.add("--" + explicit.group(1))
                continue
            for following in lines[i + 1 : i + 8]:
                stripped = following.strip()
                if stripped.startswith(("///", "#[", "//")) or not stripped:
                    continue
                field = re.match(r"(?:pub(?:\(crate\))?\s+)?(\w+)\s*:", stripped)
                if field:
                    flags.add("--" + field.group(1).replace("_", "-"))
                break
    return commands, flags


SECTIONS, WITH_DEFAULT = load_settings()
COMMANDS, FLAGS = load_cli()


def setting_of(env: str) -> tuple[str, str] | None:
    m = ENV_NAME.fullmatch(env)
    return (m.group(1).lower(), m.group(2).lower()) if m else None


def check_env_name(env: str, where: str) -> None:
    pair = setting_of(env)
    if pair is None:
        if env.startswith("MEDIATION"):
            fail(f"{where}: {env} is not of the form MEDIATION__SECTION__KEY")
        return
    section, key = pair
    keys = SECTIONS.get(section, set())
    known = section in SECTIONS and (keys is None or key in keys)
    if known:
        origin = "default" if (section, key) in WITH_DEFAULT else "optional, no default"
        ok(f"{where}: {env} is setting {section}.{key} ({origin})")
    elif pair in PENDING_SETTINGS:
        pending(f"{where}: {env} ({PENDING_SETTINGS[pair]}) is not in {rel(SETTINGS_RS)} yet; "
                "a server without it ignores the variable")
    else:
        fail(f"{where}: {env} names no setting in {rel(SETTINGS_RS)}")


def check_command(args: list[str], where: str) -> None:
    if not args:
        fail(f"{where}: no command")
        return
    check(args[0] in COMMANDS, f"{where}: `{args[0]}` is a subcommand of crates/gateway/src/main.rs",
          f"known: {sorted(COMMANDS)}")
    for arg in args[1:]:
        if not arg.startswith("--"):
            continue
        flag = arg.split("=", 1)[0]
        if flag in FLAGS:
            ok(f"{where}: flag {flag} is declared in crates/gateway/src")
        elif flag in PENDING_FLAGS:
            pending(f"{where}: flag {flag} ({PENDING_FLAGS[flag]}) is not in crates/gateway/src yet: "
                    "the binary refuses it, so this container cannot start until it lands")
        else:
            fail(f"{where}: flag {flag} is declared nowhere in crates/gateway/src")


def port_of(listen: str) -> int:
    return int(listen.rsplit(":", 1)[1])


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


def load_yaml_files() -> dict[Path, list]:
    docs: dict[Path, list] = {}
    files = sorted({*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")})
    for path in files:
        try:
            docs[path] = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
            ok(f"{rel(path)} parses ({len(docs[path])} document{'s' * (len(docs[path]) != 1)})")
        except yaml.YAMLError as err:
            fail(f"{rel(path)} does not parse: {err}")
    return docs


def dockerfile_facts() -> dict:
    text = (DEPLOY / "Dockerfile").read_text()
    uid = re.search(r"useradd[^\n]*--uid (\d+)[^\n]* (\w+)\s*\\?\n", text)
    return {
        "text": text,
        "expose": re.findall(r"^EXPOSE (\d+)", text, re.M),
        "entrypoint": re.search(r'^ENTRYPOINT \["([^"]+)"', text, re.M).group(1),
        "user": re.search(r"^USER (\w+)", text, re.M).group(1),
        "uid": int(uid.group(1)) if uid else None,
        "uid_user": uid.group(2) if uid else None,
        "env": dict(re.findall(r"(MEDIATION__\w+)=(\S+)", text)),
    }


def check_dockerfile(facts: dict) -> None:
    print("\n# deploy/Dockerfile")
    check(facts["expose"] == [str(PORT)], f"EXPOSE {PORT}", str(facts["expose"]))
    listen = facts["env"].get("MEDIATION__SERVER__LISTEN", "")
    check(listen.startswith("0.0.0.0:") and port_of(listen) == PORT, f"MEDIATION__SERVER__LISTEN=0.0.0.0:{PORT}", listen)
    check(facts["entrypoint"] == "/usr/local/bin/mediation", "ENTRYPOINT is /usr/local/bin/mediation")
    check(facts["uid"] is not None and facts["uid_user"] == facts["user"],
          f"USER {facts['user']} is created with uid {facts['uid']}")
    for env in facts["env"]:
        check_env_name(env, "Dockerfile ENV")


# ---------------------------------------------------------------------------------------------
# Kubernetes
# ---------------------------------------------------------------------------------------------


def k8s_objects(docs: dict[Path, list]) -> list[tuple[Path, dict]]:
    return [(p, d) for p, ds in docs.items() if p.is_relative_to(DEPLOY / "k8s") for d in ds]


def pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def labels_match(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_k8s(objs: list[tuple[Path, dict]], docker: dict) -> None:
    print("\n# deploy/k8s")
    by_kind: dict[str, list[dict]] = {}
    for _, obj in objs:
        by_kind.setdefault(obj["kind"], []).append(obj)
    want = {"Namespace": 1, "ConfigMap": 1, "Secret": 1, "Job": 1, "Deployment": 2, "Service": 2,
            "HorizontalPodAutoscaler": 1, "PodDisruptionBudget": 1}
    for kind, count in want.items():
        check(len(by_kind.get(kind, [])) == count, f"{count} {kind}", f"found {len(by_kind.get(kind, []))}")

    for path, obj in objs:
        if obj["kind"] != "Namespace":
            check(obj["metadata"].get("namespace") == NAMESPACE,
                  f"{rel(path)} {obj['kind']}/{obj['metadata']['name']} is in namespace {NAMESPACE}")
    secret_paths = [p for p, o in objs if o["kind"] == "Secret"]
    check(all(p.parent.name == "examples" for p in secret_paths),
          "the Secret template is under k8s/examples/, so `kubectl apply -f deploy/k8s/` never applies its placeholders")

    config = by_kind["ConfigMap"][0]
    secret = by_kind["Secret"][0]
    data = config.get("data", {})
    check(all(isinstance(v, str) for v in data.values()), "ConfigMap values are all strings")
    for env in data:
        check_env_name(env, f"ConfigMap {config['metadata']['name']}")
    listen = data.get("MEDIATION__SERVER__LISTEN", "")
    check(listen.startswith("0.0.0.0:") and port_of(listen) == PORT, f"ConfigMap listens on 0.0.0.0:{PORT}", listen)
    secret_data = {**secret.get("stringData", {}), **secret.get("data", {})}
    for env in secret_data:
        check_env_name(env, f"Secret {secret['metadata']['name']}")
    check(set(secret_data) == {"MEDIATION__DATABASE__URL", "MEDIATION__AUTH__SIGNING_KEY",
                               "MEDIATION__PRIVACY__CURRENT_KEY", "MEDIATION__PRIVACY__INDEX_KEY",
                               "MEDIATION__VIDEO__API_SECRET"},
          "the Secret holds the database URL, the signing key, the privacy keys and the video API secret",
          str(sorted(secret_data)))
    check(str(secret_data.get("MEDIATION__DATABASE__URL", "")).startswith("postgres://"), "the Secret's database is PostgreSQL")
    check("-----BEGIN PRIVATE KEY-----" in str(secret_data.get("MEDIATION__AUTH__SIGNING_KEY", "")),
          "the Secret's signing key is shaped as a PKCS#8 PEM")
    secret_only = set(secret_data) & set(data)
    check(not secret_only, "no setting is both in the ConfigMap and the Secret", str(secret_only))
    shutdown_grace = int(data.get("MEDIATION__SERVER__SHUTDOWN_GRACE_SECS", 20))

    workloads = by_kind["Job"] + by_kind["Deployment"]
    images = set()
    deployments = {d["metadata"]["name"]: d for d in by_kind["Deployment"]}
    for obj in workloads:
        name = f"{obj['kind']} {obj['metadata']['name']}"
        spec = pod_spec(obj)
        check(spec.get("automountServiceAccountToken") is False, f"{name}: no service-account token mounted")
        check(spec.get("enableServiceLinks") is False, f"{name}: no service-link variables in the environment")
        psc = spec.get("securityContext", {})
        check(psc.get("runAsNonRoot") is True and psc.get("runAsUser") == docker["uid"],
              f"{name}: runs as non-root uid {docker['uid']} (the Dockerfile's `{docker['user']}`)")
        check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{name}: seccomp RuntimeDefault")
        for c in spec["containers"]:
            cname = f"{name} container {c['name']}"
            images.add(c["image"])
            check("command" not in c, f"{cname}: keeps the image's entrypoint ({docker['entrypoint']})")
            check_command(c.get("args", []), cname)
            sc = c.get("securityContext", {})
            check(sc.get("readOnlyRootFilesystem") is True, f"{cname}: read-only root filesystem")
            check(sc.get("allowPrivilegeEscalation") is False and sc.get("capabilities", {}).get("drop") == ["ALL"],
                  f"{cname}: no privilege escalation, every capability dropped")
            res = c.get("resources", {})
            check(all(k in res.get(t, {}) for t in ("requests", "limits") for k in ("cpu", "memory")),
                  f"{cname}: cpu and memory requests and limits")
            refs = {(next(iter(e)), e[next(iter(e))]["name"]) for e in c.get("envFrom", [])}
            check(refs == {("configMapRef", config["metadata"]["name"]), ("secretRef", secret["metadata"]["name"])},
                  f"{cname}: settings from the ConfigMap and the Secret", str(refs))
            for e in c.get("env", []):
                check_env_name(e["name"], cname)
            if obj["kind"] == "Deployment":
                ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
                want_ports = {"grpc": PORT}
                if data.get("MEDIATION__METRICS__LISTEN"):
                    want_ports["metrics"] = port_of(data["MEDIATION__METRICS__LISTEN"])
                    annotations = obj["spec"]["template"]["metadata"].get("annotations", {})
                    check(annotations.get("prometheus.io/port") == str(want_ports["metrics"]),
                          f"{cname}: prometheus.io/port names the metrics listener's port")
                check(ports == want_ports, f"{cname}: container ports {want_ports}", str(ports))
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    p = c.get(probe)
                    if p is None:
                        check(probe == "startupProbe", f"{cname}: has a {probe}")
                        continue
                    handlers = set(p) & {"grpc", "httpGet", "tcpSocket", "exec"}
                    check(handlers == {"grpc"} and p["grpc"].get("port") == PORT
                          and p["grpc"].get("service", "") == "",
                          f"{cname}: {probe} is a native gRPC probe on port {PORT} (grpc.health.v1, service \"\")",
                          str(p))
                stop = c.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
                pause = int(stop[1]) if stop[:1] == ["/bin/sleep"] else 0
                grace = spec.get("terminationGracePeriodSeconds", 30)
                check(grace > pause + shutdown_grace,
                      f"{cname}: terminationGracePeriodSeconds {grace} > preStop {pause} s + server.shutdown_grace_secs {shutdown_grace} s")
    check(len(images) == 1, f"one image for every mediation container: {sorted(images)}")

    job = by_kind["Job"][0]
    check(pod_spec(job)["containers"][0].get("args") == ["migrate"], "the Job runs `mediation migrate`")
    gateway = deployments.get("mediation-gateway")
    dispatch = deployments.get("mediation-dispatch")
    if not check(gateway is not None and dispatch is not None, "Deployments mediation-gateway and mediation-dispatch"):
        return
    check(gateway["spec"]["replicas"] == 2, "the gateway runs 2 replicas")
    check(pod_spec(gateway)["containers"][0].get("args") == ["serve"], "the gateway runs `mediation serve`")
    check(pod_spec(dispatch)["containers"][0].get("args") == ["serve", "--services", "dispatch"],
          "the dispatch Deployment runs `mediation serve --services dispatch`")
    dispatch_env = {e["name"] for c in pod_spec(dispatch)["containers"] for e in c.get("env", [])}
    check(not any(n.startswith("MEDIATION__UPSTREAMS__") for n in dispatch_env | set(data)),
          "the dispatch pods get no MEDIATION__UPSTREAMS__* (they would forward to themselves)")

    services = {s["metadata"]["name"]: s for s in by_kind["Service"]}
    for svc_name, dep in (("mediation-gateway", gateway), ("mediation-dispatch", dispatch)):
        svc = services.get(svc_name)
        if not check(svc is not None, f"Service {svc_name}"):
            continue
        pod_labels = dep["spec"]["template"]["metadata"]["labels"]
        check(labels_match(svc["spec"]["selector"], pod_labels), f"Service {svc_name} selects Deployment {dep['metadata']['name']}")
        others = [d for d in deployments.values() if d is not dep
                  and labels_match(svc["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])]
        check(not others, f"Service {svc_name} selects no other Deployment")
        ports = svc["spec"]["ports"]
        check(len(ports) == 1 and ports[0]["port"] == PORT and ports[0]["targetPort"] in ("grpc", PORT),
              f"Service {svc_name} port {PORT} -> the container's grpc port", str(ports))
        check(ports[0].get("appProtocol") == "kubernetes.io/h2c", f"Service {svc_name} declares HTTP/2 cleartext")
    check(labels_match(gateway["spec"]["selector"]["matchLabels"], gateway["spec"]["template"]["metadata"]["labels"]),
          "the gateway Deployment's selector matches its pods")

    upstream = next((e["value"] for e in pod_spec(gateway)["containers"][0].get("env", [])
                     if e["name"] == "MEDIATION__UPSTREAMS__DISPATCH"), None)
    if check(upstream is not None, "the gateway names its dispatch upstream"):
        u = urlparse(upstream)
        host = u.hostname or ""
        check(u.scheme == "http" and u.port == PORT and host.split(".")[0] == "mediation-dispatch"
              and (host.count(".") == 0 or host.split(".")[1] == NAMESPACE),
              f"the dispatch upstream {upstream} is Service mediation-dispatch port {PORT}")

    hpa = by_kind["HorizontalPodAutoscaler"][0]
    target = hpa["spec"]["scaleTargetRef"]
    check(target["kind"] == "Deployment" and target["name"] == "mediation-gateway", "the HPA scales the gateway")
    check(hpa["spec"]["minReplicas"] == gateway["spec"]["replicas"], "HPA minReplicas equals the Deployment's replicas")
    metrics = hpa["spec"]["metrics"]
    check(any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in metrics), "the HPA scales on CPU")
    check("cpu" in pod_spec(gateway)["containers"][0]["resources"]["requests"], "the gateway requests CPU (the HPA's base)")

    pdb = by_kind["PodDisruptionBudget"][0]
    check(labels_match(pdb["spec"]["selector"]["matchLabels"], gateway["spec"]["template"]["metadata"]["labels"]),
          "the PDB selects the gateway pods")
    check(pdb["spec"].get("minAvailable", 0) < hpa["spec"]["minReplicas"], "the PDB leaves room to drain a node")

    per_pod = int(data.get("MEDIATION__DATABASE__MAX_CONNECTIONS", 8))
    budget = per_pod * (hpa["spec"]["maxReplicas"] + dispatch["spec"]["replicas"] + 1)
    check(budget <= 100, f"at most {budget} database connections (maxReplicas + dispatch + Job, {per_pod} each) "
          "fit PostgreSQL's default max_connections (100)")


# ---------------------------------------------------------------------------------------------
# Compose and Envoy
# ---------------------------------------------------------------------------------------------


def check_compose(compose: dict, envoy: dict, docker: dict) -> None:
    print("\n# deploy/compose.yaml")
    services = compose["services"]
    by_profile: dict[str, list[str]] = {}
    for name, svc in services.items():
        for profile in svc.get("profiles", []):
            by_profile.setdefault(profile, []).append(name)
    check({"single", "postgres", "scaled"} <= set(by_profile), "profiles single, postgres and scaled",
          str(sorted(by_profile)))
    images = set()
    for name, svc in services.items():
        if svc.get("image", "").startswith("mediation"):
            images.add(svc["image"])
            build = svc.get("build", {})
            check((DEPLOY / build.get("context", ".") / build.get("dockerfile", "")).resolve() == DEPLOY / "Dockerfile",
                  f"service {name} builds deploy/Dockerfile")
            check_command(svc.get("command", ["serve"]), f"service {name}")
        for env in svc.get("environment", {}) or {}:
            check_env_name(env, f"service {name}")
    check(len(images) == 1, f"one image for every mediation service: {sorted(images)}")
    for profile, names in sorted(by_profile.items()):
        published = [(n, p) for n in names for p in services[n].get("ports", [])]
        check(len(published) == 1 and str(published[0][1]).split(":")[-2:] == [str(PORT), str(PORT)],
              f"profile {profile} publishes port {PORT} once", str(published))
        if any(services[n].get("environment", {}).get("MEDIATION__DATABASE__URL", "").startswith("postgres")
               for n in names):
            check("migrate" in names and "postgres" in names, f"profile {profile} has postgres and the migrate step")
    check(services["migrate"].get("command") == ["migrate"], "the migrate service runs `mediation migrate`")
    for name in by_profile.get("scaled", []):
        deps = services[name].get("depends_on", {})
        if services[name].get("image", "").startswith("mediation") and name not in ("migrate",):
            check(isinstance(deps, dict) and deps.get("migrate", {}).get("condition") == "service_completed_successfully",
                  f"scaled service {name} starts after the migration succeeded")

    gateways = sorted(n for n in by_profile.get("scaled", [])
                      if services[n].get("image", "").startswith("mediation")
                      and services[n].get("command", ["serve"]) == ["serve"])
    check(len(gateways) == 2, f"the scaled profile runs two gateway replicas: {gateways}")
    check(all(not services[g].get("ports") for g in gateways), "the replicas publish no port (Envoy is the way in)")
    dispatchers = [n for n in by_profile.get("scaled", []) if services[n].get("command") == ["serve", "--services", "dispatch"]]
    check(len(dispatchers) == 1, f"the scaled profile runs one dispatch-only server: {dispatchers}")
    for g in gateways:
        up = services[g]["environment"].get("MEDIATION__UPSTREAMS__DISPATCH", "")
        u = urlparse(up)
        check(u.hostname in dispatchers and u.port == PORT, f"gateway {g} forwards dispatch to {up}")
    envoy_svc = services.get("envoy", {})
    check("scaled" in envoy_svc.get("profiles", []), "Envoy is in the scaled profile")
    mounts = [v.split(":") for v in envoy_svc.get("volumes", [])]
    check(any((DEPLOY / m[0]).resolve() == DEPLOY / "envoy.yaml" and m[1] == "/etc/envoy/envoy.yaml" for m in mounts),
          "Envoy mounts deploy/envoy.yaml at /etc/envoy/envoy.yaml")

    print("\n# deploy/envoy.yaml")
    listeners = envoy["static_resources"]["listeners"]
    lport = listeners[0]["address"]["socket_address"]["port_value"]
    check(len(listeners) == 1 and lport == PORT, f"Envoy listens on {PORT}")
    check(any(str(p).split(":")[-2:] == [str(PORT), str(lport)] for p in envoy_svc.get("ports", [])),
          f"compose publishes Envoy's listener as {PORT}")
    hcm = listeners[0]["filter_chains"][0]["filters"][0]["typed_config"]
    check(hcm.get("codec_type") == "AUTO", "Envoy takes HTTP/2 (gRPC) and HTTP/1.1 (grpc-web)")
    check(hcm.get("stream_idle_timeout") == "0s", "no idle cut-off for quiet streams")
    routes = [r for vh in hcm["route_config"]["virtual_hosts"] for r in vh["routes"]]
    clusters = {c["name"]: c for c in envoy["static_resources"]["clusters"]}
    for r in routes:
        check(r["route"]["cluster"] in clusters, f"route {r['match']} goes to a defined cluster")
        check(r["route"].get("timeout") == "0s", f"route {r['match']} has no route timeout (streams)")
    cluster = clusters.get("gateways", {})
    endpoints = [e["endpoint"]["address"]["socket_address"] for le in cluster["load_assignment"]["endpoints"]
                 for e in le["lb_endpoints"]]
    check(sorted(e["address"] for e in endpoints) == gateways and all(e["port_value"] == PORT for e in endpoints),
          f"Envoy balances over the compose gateways {gateways} on port {PORT}", str(endpoints))
    opts = cluster.get("typed_extension_protocol_options", {}).get("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", {})
    check("http2_protocol_options" in opts.get("explicit_http_config", {}), "Envoy speaks HTTP/2 to the gateways")
    check(any("grpc_health_check" in h for h in cluster.get("health_checks", [])),
          "Envoy health-checks the gateways with grpc.health.v1")


# ---------------------------------------------------------------------------------------------
# Docs, schemas
# ---------------------------------------------------------------------------------------------


def check_docs() -> None:
    print("\n# settings named in deploy/ text (comments, README)")
    seen: set[tuple[str, str]] = set()
    for path in sorted(DEPLOY.rglob("*")):
        if path.is_file() and (path.suffix in (".yaml", ".yml", ".md") or path.name == "Dockerfile"):
            text = path.read_text(errors="replace")
            for env in sorted({m.group(0) for m in ENV_NAME.finditer(text)} - {"MEDIATION__SECTION__KEY"}):
                if (rel(path), env) not in seen:
                    seen.add((rel(path), env))
                    check_env_name(env, rel(path))


def check_schemas(objs: list[tuple[Path, dict]]) -> None:
    print("\n# schemas")
    try:
        import kubernetes_validate
    except ImportError:
        info("skipped Kubernetes schema validation: python3 -m pip install kubernetes-validate")
    else:
        for version in ("1.27", kubernetes_validate.latest_version()):
            for path, obj in objs:
                name = f"{rel(path)} {obj['kind']}/{obj['metadata']['name']}"
                try:
                    kubernetes_validate.validate(obj, version, strict=True)
                    ok(f"{name} is valid Kubernetes {version} (strict)")
                except kubernetes_validate.ValidationError as err:
                    fail(f"{name} against Kubernetes {version}: {err.message} at {list(err.path)}")
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    if not os.access(exe, os.X_OK):
        info("skipped compose-spec validation: python3 -m pip install check-jsonschema")
        return
    run = subprocess.run([exe, "--builtin-schema", "vendor.compose-spec", str(DEPLOY / "compose.yaml")],
                         capture_output=True, text=True)
    check(run.returncode == 0, "deploy/compose.yaml is valid against the compose specification",
          (run.stdout + run.stderr).strip())


# ---------------------------------------------------------------------------------------------
# Smoke run of a real binary
# ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health_check(port: int, service: str = "") -> str:
    """grpc.health.v1.Health/Check as the kubelet's probe sends it: SERVING, NOT_SERVING,
    UNKNOWN, or the gRPC error. HTTP/2 through grpcio when installed, else grpc-web over
    HTTP/1.1 (the same service behind the same layers)."""
    request = (b"\x0a" + bytes([len(service)]) + service.encode()) if service else b""
    statuses = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}

    def decode(body: bytes) -> str:
        # HealthCheckResponse { status = 1 }: absent means 0.
        return statuses.get(body[1] if body[:1] == b"\x08" else 0, "?")

    try:
        import grpc
    except ImportError:
        grpc = None
    if grpc is not None:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            call = channel.unary_unary("/grpc.health.v1.Health/Check",
                                       request_serializer=lambda b: b, response_deserializer=lambda b: b)
            try:
                return decode(call(request, timeout=2))
            except grpc.RpcError as err:
                return f"{err.code().name}"
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    conn.request("POST", "/grpc.health.v1.Health/Check", body=b"\x00" + struct.pack(">I", len(request)) + request,
                 headers={"content-type": "application/grpc-web+proto", "x-grpc-web": "1"})
    response = conn.getresponse()
    status = response.getheader("grpc-status")
    body = response.read()
    if status not in (None, "0"):
        return f"grpc-status {status}"
    while body:
        flag, length = body[0], struct.unpack(">I", body[1:5])[0]
        frame, body = body[5 : 5 + length], body[5 + length :]
        if flag & 0x80:
            m = re.search(rb"grpc-status:\s*(\d+)", frame)
            if m and m.group(1) != b"0":
                return f"grpc-status {m.group(1).decode()}"
        else:
            return decode(frame)
    return "no answer"


def smoke(binary: Path, postgres: str | None, objs: list[tuple[Path, dict]]) -> None:
    print(f"\n# smoke run of {binary}")
    kinds = {(o["kind"], o["metadata"]["name"]): o for _, o in objs}
    config = next(o for (k, _), o in kinds.items() if k == "ConfigMap")["data"]
    grace = int(config.get("MEDIATION__SERVER__SHUTDOWN_GRACE_SECS", 20))
    tmp = Path(tempfile.mkdtemp(prefix="mediation-deploy-check-"))
    key = subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519"], capture_output=True, text=True, check=True).stdout
    database = None
    if postgres:
        database = f"deploy_check_{uuid.uuid4().hex[:12]}"
        subprocess.run(["psql", postgres, "-qc", f"CREATE DATABASE {database}"], check=True)
        url = postgres.rstrip("/") + "/" + database
    else:
        url = f"sqlite://{tmp}/mediation.db"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATION") and k != "RUST_LOG"}
    env.update(config)
    env.update({"MEDIATION__DATABASE__URL": url, "MEDIATION__AUTH__SIGNING_KEY": key,
                "MEDIATION__PRIVACY__CURRENT_KEY": "check1:" + base64.b64encode(os.urandom(32)).decode(),
                "MEDIATION__PRIVACY__INDEX_KEY": "check-index1:" + base64.b64encode(os.urandom(32)).decode(),
                "MEDIATION__VIDEO__API_SECRET": base64.b64encode(os.urandom(32)).decode(),
                "MEDIATION__SERVER__LISTEN": f"127.0.0.1:{port}"})
    metrics_port = None
    if config.get("MEDIATION__METRICS__LISTEN"):
        metrics_port = free_port()
        env["MEDIATION__METRICS__LISTEN"] = f"127.0.0.1:{metrics_port}"
    info(f"settings: the ConfigMap's {len(config)}, the Secret's five (database {urlparse(url).scheme}, an "
         f"`openssl genpkey -algorithm ed25519` key); listen 127.0.0.1:{port} instead of 0.0.0.0:{PORT}"
         + (f", metrics 127.0.0.1:{metrics_port}" if metrics_port else ""))
    try:
        job = next(o for (k, _), o in kinds.items() if k == "Job")
        args = pod_spec(job)["containers"][0]["args"]
        run = subprocess.run([str(binary), *args], env=env, cwd=tmp, capture_output=True, text=True, timeout=300)
        check(run.returncode == 0, f"Job args {args}: exit 0", run.stderr[-2000:])
        for name in ("mediation-gateway", "mediation-dispatch"):
            dep = kinds[("Deployment", name)]
            container = pod_spec(dep)["containers"][0]
            args = container["args"]
            penv = dict(env)
            for e in container.get("env", []):
                penv[e["name"]] = e["value"]
            log = open(tmp / f"{name}.log", "w+")
            proc = subprocess.Popen([str(binary), *args], env=penv, cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
            answer, deadline = "not started", time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    answer = health_check(port)
                    if answer == "SERVING":
                        break
                except OSError as err:
                    answer = str(err)
                time.sleep(0.3)
            if proc.poll() is not None:
                log.seek(0)
                output = log.read()
                unknown = [f for f in args if f.startswith("--") and f not in FLAGS]
                if unknown and all(f in PENDING_FLAGS for f in unknown) and proc.returncode == 2:
                    pending(f"{name} args {args}: the binary refuses {unknown} (exit 2), as expected until issue #7 lands")
                else:
                    fail(f"{name} args {args}: exited {proc.returncode} before serving: {output[-2000:]}")
                continue
            check(answer == "SERVING", f"{name} args {args}: Health/Check service \"\" answers SERVING (the probe)", answer)
            if metrics_port:
                import urllib.request

                try:
                    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2).read().decode()
                    check("# TYPE" in text, f"{name}: Prometheus text at /metrics on the metrics port")
                except OSError as err:
                    if setting_of("MEDIATION__METRICS__LISTEN") and ("metrics", "listen") in WITH_DEFAULT:
                        info(f"{name}: no metrics listener answered ({err}); this binary may predate metrics.listen")
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=grace + 10)
                check(code == 0, f"{name}: SIGTERM stops it cleanly in {time.monotonic() - started:.1f} s (exit {code})")
            except subprocess.TimeoutExpired:
                proc.kill()
                fail(f"{name}: still running {grace + 10} s after SIGTERM")
    finally:
        if database:
            subprocess.run(["psql", postgres, "-qc", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], check=False)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", type=Path, metavar="BINARY", help="also run this mediation binary as the manifests do")
    parser.add_argument("--postgres", metavar="SERVER_URL",
                        help="for --smoke: a PostgreSQL server URL where a scratch database may be created")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only failures, pending items and notes")
    opts = parser.parse_args()

    print("# what the code declares")
    info(f"settings sections from {rel(SETTINGS_RS)}: "
         + ", ".join(f"{s}({'any key' if k is None else len(k)})" for s, k in sorted(SECTIONS.items())))
    info(f"subcommands from crates/gateway/src/main.rs: {', '.join(sorted(COMMANDS))}")
    info(f"long flags in crates/gateway/src: {', '.join(sorted(FLAGS))}")
    for flag, why in PENDING_FLAGS.items():
        if flag in FLAGS:
            ok(f"{flag} exists now ({why})")
        else:
            pending(f"{flag} is not declared in crates/gateway/src yet ({why})")

    print("\n# YAML")
    docs = load_yaml_files()
    if failures:
        return 1
    docker = dockerfile_facts()
    check_dockerfile(docker)
    objs = k8s_objects(docs)
    check_k8s(objs, docker)
    check_compose(docs[DEPLOY / "compose.yaml"][0], docs[DEPLOY / "envoy.yaml"][0], docker)
    check_docs()
    check_schemas(objs)
    if opts.smoke:
        smoke(opts.smoke.resolve(), opts.postgres, objs)

    print(f"\n{passed} passed, {len(failures)} failed, {len(pendings)} pending (issue #7)")
    for f in failures:
        print(f"  FAIL {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
